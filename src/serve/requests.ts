/**
 * Request bodies → the inputs they carry, for the three protocols `mlp serve` speaks:
 *
 * - `/predict`, mlp's own: `{"text": …}` / `{"texts": […]}` (or `image`/`images` for image
 *   models: base64 PNG/JPEG or 32×32×3 arrays), or an uploaded file (`multipart/form-data`, or
 *   the raw body with an image or text content type).
 * - `/invocations`, MLflow's scoring server: `dataframe_split`, `dataframe_records`,
 *   `instances`, `inputs` (JSON) or CSV (`text/csv`), as MLflow 2 documents them.
 * - `/v2/models/{name}/infer`, the Open Inference Protocol (KServe v2): one input tensor,
 *   BYTES (text or base64 images) or UINT8/INT/FP (pixels).
 *
 * Everything here is pure: a body and a content type in, inputs (or a `RequestError` with the
 * HTTP status and a message that says what to send instead) out.
 */
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../util/csv.js';
import type { RawInput } from './model.js';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

const bad = (message: string): RequestError => new RequestError(400, message);

export interface Body {
  contentType: string;
  bytes: Buffer;
}

/** Inputs of a `/predict` request; `single` when it carried one input in the singular field. */
export function predictInputs(body: Body, field: string): { inputs: RawInput[]; single: boolean } {
  const type = mediaType(body.contentType);
  if (type === 'multipart/form-data') {
    const parts = parseMultipart(body);
    if (parts.length === 0) throw bad('the multipart body has no parts: send the input as a form field or a file');
    return { inputs: parts.map((p) => (p.filename === undefined ? { json: p.data.toString('utf8') } : { bytes: p.data, name: p.filename })), single: parts.length === 1 };
  }
  if (type !== 'application/json') {
    if (type.startsWith('image/') || type === 'application/octet-stream' || type.startsWith('text/')) return { inputs: [{ bytes: body.bytes, name: 'the request body' }], single: true };
    throw new RequestError(415, `unsupported content type ${JSON.stringify(body.contentType)}: send application/json, multipart/form-data, or the image itself (image/png, image/jpeg)`);
  }
  const json = parseJson(body.bytes);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad(`expected a JSON object like {"${field}": …} or {"${field}s": […]}`);
  const record = json as Record<string, unknown>;
  const plural = `${field}s`;
  if (field in record && plural in record) throw bad(`send either "${field}" or "${plural}", not both`);
  if (field in record) return { inputs: [{ json: record[field] }], single: true };
  if (plural in record) {
    const list = record[plural];
    if (!Array.isArray(list)) throw bad(`"${plural}" must be an array`);
    return { inputs: list.map((json) => ({ json })), single: false };
  }
  throw bad(`expected a JSON object with "${field}" or "${plural}" (got the keys: ${Object.keys(record).join(', ') || 'none'})`);
}

/** Inputs of an MLflow `/invocations` request. */
export function invocationInputs(body: Body, field: string): RawInput[] {
  const type = mediaType(body.contentType);
  if (type === 'text/csv') return csvColumn(body.bytes.toString('utf8'), field).map((json) => ({ json }));
  if (type !== 'application/json') throw new RequestError(415, `unsupported content type ${JSON.stringify(body.contentType)}: MLflow's scoring protocol takes application/json or text/csv`);
  const json = parseJson(body.bytes);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('expected a JSON object with one of dataframe_split, dataframe_records, instances, inputs');
  const record = json as Record<string, unknown>;
  const keys = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'].filter((k) => k in record);
  if (keys.length !== 1) {
    throw bad(keys.length === 0 ? 'expected one of dataframe_split, dataframe_records, instances, inputs' : `send only one of ${keys.join(', ')}`);
  }
  const key = keys[0]!;
  const value = record[key];
  if (key === 'dataframe_split') {
    const split = value as { columns?: unknown; data?: unknown } | null;
    if (!split || !Array.isArray(split.data)) throw bad('dataframe_split needs "data": a list of rows');
    const columns = Array.isArray(split.columns) ? split.columns : undefined;
    const index = columnIndex(columns, field);
    return split.data.map((row, i) => {
      if (!Array.isArray(row)) throw bad(`dataframe_split row ${i} is not a list`);
      return { json: row[index] };
    });
  }
  if (key === 'dataframe_records') {
    if (!Array.isArray(value)) throw bad('dataframe_records must be a list of objects');
    return value.map((row, i) => ({ json: recordValue(row, field, `dataframe_records[${i}]`) }));
  }
  // `instances` (TF Serving's row format) and `inputs` (its columnar one): a list of values, a
  // list of {field: value} objects, or {field: [values]}.
  if (Array.isArray(value)) return value.map((item, i) => ({ json: item !== null && typeof item === 'object' && !Array.isArray(item) ? recordValue(item, field, `${key}[${i}]`) : item }));
  if (value !== null && typeof value === 'object') {
    const column = (value as Record<string, unknown>)[field];
    if (!Array.isArray(column)) throw bad(`${key} must be a list, or an object with a "${field}" list`);
    return column.map((json) => ({ json }));
  }
  throw bad(`${key} must be a list, or an object with a "${field}" list`);
}

export interface InferTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

/** Inputs of an Open Inference Protocol `infer` request, and its `id` to echo. */
export function inferInputs(body: Body, field: string): { inputs: RawInput[]; id?: string } {
  if (mediaType(body.contentType) !== 'application/json') throw new RequestError(415, 'the inference protocol takes application/json');
  const json = parseJson(body.bytes) as { id?: unknown; inputs?: unknown } | null;
  if (!json || typeof json !== 'object' || !Array.isArray(json.inputs)) throw bad('expected {"inputs": [{"name", "shape", "datatype", "data"}]}');
  if (json.inputs.length !== 1) throw bad(`the model takes one input tensor ("${field}"), got ${json.inputs.length}`);
  const tensor = json.inputs[0] as Partial<InferTensor>;
  if (!tensor || !Array.isArray(tensor.shape) || !Array.isArray(tensor.data) || typeof tensor.datatype !== 'string') {
    throw bad('each input needs "name", "shape" (a list), "datatype" and "data" (a list)');
  }
  const shape = tensor.shape;
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad('"shape" must be a non-empty list of sizes');
  const flat = tensor.data.flat(Infinity);
  const total = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== total) throw bad(`"data" has ${flat.length} values, but shape ${JSON.stringify(shape)} needs ${total}`);
  const n = shape[0]!;
  const per = n === 0 ? 0 : total / n;
  const inputs: RawInput[] = [];
  for (let i = 0; i < n; i++) {
    const slice = flat.slice(i * per, (i + 1) * per);
    inputs.push({ json: tensor.datatype === 'BYTES' && per === 1 ? slice[0] : slice });
  }
  return { inputs, ...(typeof json.id === 'string' ? { id: json.id } : {}) };
}

function columnIndex(columns: unknown[] | undefined, field: string): number {
  if (!columns) return 0;
  const index = columns.indexOf(field);
  if (index >= 0) return index;
  if (columns.length === 1) return 0;
  throw bad(`no column "${field}" among ${JSON.stringify(columns)}`);
}

function recordValue(row: unknown, field: string, where: string): unknown {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw bad(`${where} is not an object`);
  const record = row as Record<string, unknown>;
  if (field in record) return record[field];
  const keys = Object.keys(record);
  if (keys.length === 1) return record[keys[0]!];
  throw bad(`${where} has no "${field}" field`);
}

export function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw bad(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The `field` column (or the only one) of a CSV document with a header row (RFC 4180). */
export function csvColumn(text: string, field: string): string[] {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw bad(`the CSV body: ${error.message}`);
    throw error;
  }
  if (records.length === 0) throw bad('the CSV body is empty: send a header row and one row per input');
  const header = records[0]!.fields;
  const index = columnIndex(header, field);
  return records.slice(1).map((record) => {
    if (record.fields.length !== header.length) throw bad(`CSV line ${record.line} has ${record.fields.length} fields, the header ${header.length}`);
    return record.fields[index]!;
  });
}

interface Part {
  name?: string;
  filename?: string;
  data: Buffer;
}

/** The parts of a `multipart/form-data` body (RFC 7578). */
export function parseMultipart(body: Body): Part[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(body.contentType);
  const boundary = match?.[1] ?? match?.[2]?.trim();
  if (!boundary) throw bad('multipart/form-data without a boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.bytes.indexOf(delimiter);
  if (at < 0) throw bad('the multipart body does not contain its boundary');
  for (;;) {
    at += delimiter.length;
    if (body.bytes.subarray(at, at + 2).toString() === '--') break; // the closing delimiter
    const next = body.bytes.indexOf(delimiter, at);
    if (next < 0) throw bad('the multipart body ends without its closing boundary');
    const part = body.bytes.subarray(at + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) throw bad('a multipart part has no header block');
    const headers = part.subarray(0, split).toString('utf8');
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    parts.push({ ...(name !== undefined ? { name } : {}), ...(filename !== undefined ? { filename } : {}), data: Buffer.from(part.subarray(split + 4)) });
    at = next;
  }
  return parts;
}
