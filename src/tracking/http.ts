/**
 * HTTP for the tracking clients, on Node's `fetch`: JSON in and out, a timeout per request, and
 * retries with exponential backoff for what may pass (a refused connection, a timeout, 429 and
 * 5xx), as the MLflow and W&B clients do — but few of them: a run that cannot be delivered now
 * waits in the outbox, so mlp never holds a pipeline up for long.
 */
import { TrackingError } from './tracker.js';

export interface HttpOptions {
  /** Milliseconds one request may take. */
  timeoutMs: number;
  /** Retries after the first attempt, for retryable failures. */
  retries: number;
  /** Backoff before the first retry (doubled each time, with jitter). */
  backoffMs: number;
  headers: Record<string, string>;
  /** Stops waiting (between retries, and the request itself). */
  signal?: AbortSignal;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export function requestJson(method: 'GET' | 'POST' | 'PUT', url: string, body: unknown, options: HttpOptions): Promise<JsonResponse> {
  return request(method, url, body === undefined ? undefined : { data: JSON.stringify(body), type: 'application/json' }, options);
}

/** Bytes up (an artifact), JSON (or text) back; retried like `requestJson`. */
export function requestBytes(method: 'PUT' | 'POST', url: string, data: Uint8Array, options: HttpOptions): Promise<JsonResponse> {
  return request(method, url, { data, type: 'application/octet-stream' }, options);
}

interface Payload {
  data: string | Uint8Array;
  type: string;
}

async function request(method: string, url: string, payload: Payload | undefined, options: HttpOptions): Promise<JsonResponse> {
  let attempt = 0;
  for (;;) {
    try {
      const response = await once(method, url, payload, options);
      if (RETRY_STATUS.has(response.status)) {
        throw new TrackingError(`${method} ${redact(url)}: HTTP ${response.status}${describeBody(response.body)}`, 'server', response.status);
      }
      return response;
    } catch (error) {
      const failure = error instanceof TrackingError ? error : new TrackingError(String(error), 'unreachable');
      if (!failure.retryable || attempt >= options.retries || options.signal?.aborted) throw failure;
      const delay = options.backoffMs * 2 ** attempt * (1 + Math.random() * 0.25);
      attempt++;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function once(method: string, url: string, payload: Payload | undefined, options: HttpOptions): Promise<JsonResponse> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': payload.type }), ...options.headers },
      body: payload?.data,
      signal: AbortSignal.any(signals),
    });
  } catch (error) {
    throw networkError(method, url, error);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw networkError(method, url, error);
  }
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    // not JSON: kept as text for the error message
  }
  return { status: response.status, body: parsed };
}

function networkError(method: string, url: string, error: unknown): TrackingError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return new TrackingError(`${method} ${redact(url)}: no answer in time`, 'timeout');
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new TrackingError(`${method} ${redact(url)}: cannot reach the server (${why})`, 'unreachable');
}

/** A short excerpt of an error body for messages (servers explain their 4xx there). */
export function describeBody(body: unknown): string {
  if (body === undefined) return '';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

/** A URL without user:password, for messages and the outbox. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The error a non-2xx answer that is not worth retrying means. */
export function rejection(method: string, url: string, response: JsonResponse): TrackingError {
  const kind = response.status === 401 || response.status === 403 ? 'auth' : 'rejected';
  return new TrackingError(`${method} ${redact(url)}: HTTP ${response.status}${describeBody(response.body)}`, kind, response.status);
}
