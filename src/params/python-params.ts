/**
 * Params in a Python file (`params.py`), as DVC reads them: module-level constants
 * (`LR = 0.1`) and class attributes (`class Train: epochs = 5` → `Train.epochs`), whose values
 * are Python literals (numbers, strings, True/False/None, lists, tuples, dicts). Anything else —
 * an expression, a call, a multi-line value — is not a param and is left out, as it would be by
 * `ast.literal_eval`. A small reader, not a Python parser: one assignment per line.
 */

const ASSIGNMENT = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+?)\s*$/;
const CLASS = /^class\s+([A-Za-z_]\w*)\s*(\([^)]*\))?\s*:\s*$/;

export function parsePythonParams(text: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  let currentClass: { name: string; indent: number; values: Record<string, unknown> } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    if (currentClass && indent === 0) currentClass = undefined;
    const cls = CLASS.exec(line);
    if (cls && indent === 0) {
      currentClass = { name: cls[1] as string, indent: -1, values: {} };
      result[currentClass.name] = currentClass.values;
      continue;
    }
    const assignment = ASSIGNMENT.exec(line.trim());
    if (!assignment) continue;
    if (currentClass) {
      // Attributes sit at the class body's own indentation; deeper lines belong to methods.
      if (currentClass.indent === -1) currentClass.indent = indent;
      if (indent !== currentClass.indent) continue;
    } else if (indent > 0) continue;
    const value = literal(assignment[2] as string);
    if (value.ok) (currentClass ? currentClass.values : result)[assignment[1] as string] = value.value;
  }
  return result;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/** A Python literal, or not ok. */
export function literal(text: string): Parsed {
  const reader = new LiteralReader(text);
  try {
    const value = reader.value();
    reader.skipSpace();
    return reader.done() ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

class LiteralReader {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.s[this.i] !== char) throw new Error(`expected ${char}`);
    this.i++;
  }

  private peek(): string {
    this.skipSpace();
    return this.s[this.i] ?? '';
  }

  value(): unknown {
    const c = this.peek();
    if (c === '[' || c === '(') return this.sequence(c === '[' ? ']' : ')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.string(c);
    const word = /^(-?[\d_.]+(?:[eE][-+]?\d+)?|True|False|None)/.exec(this.s.slice(this.i));
    if (!word) throw new Error('not a literal');
    this.i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    const n = Number(word[0].replace(/_/g, ''));
    if (!Number.isFinite(n)) throw new Error('not a number');
    return n;
  }

  private sequence(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    while (this.peek() !== close) {
      out.push(this.value());
      if (this.peek() === ',') this.i++;
      else break;
    }
    this.expect(close);
    return out;
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    while (this.peek() !== '}') {
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number') throw new Error('dict key');
      this.expect(':');
      out[String(key)] = this.value();
      if (this.peek() === ',') this.i++;
      else break;
    }
    this.expect('}');
    return out;
  }

  private string(quote: string): string {
    this.i++;
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== quote) {
      if (this.s[this.i] === '\\') {
        const next = this.s[this.i + 1] ?? '';
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        this.i += 2;
      } else out += this.s[this.i++];
    }
    if (this.s[this.i] !== quote) throw new Error('unterminated string');
    this.i++;
    return out;
  }
}
