/**
 * A small TOML reader, enough for the `[tool.*]` tables of a pyproject.toml: tables and arrays of
 * tables, dotted and quoted keys, every string form, integers, floats, booleans, arrays and inline
 * tables. Dates and times are kept as their text. It reads; it does not validate every rule of the
 * TOML spec (duplicate keys are not refused, for one).
 */

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'TomlError';
  }
}

const BARE_KEY = /[A-Za-z0-9_-]/;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

export function parseToml(text: string): TomlTable {
  return new TomlReader(text).document();
}

class TomlReader {
  private pos = 0;
  private readonly root: TomlTable = {};

  constructor(private readonly text: string) {}

  document(): TomlTable {
    let table = this.root;
    for (;;) {
      this.skipBlankLinesAndComments();
      if (this.pos >= this.text.length) return this.root;
      if (this.text.startsWith('[[', this.pos)) {
        this.pos += 2;
        const path = this.keyPath();
        this.expect(']]');
        const parent = this.tableAt(this.root, path.slice(0, -1));
        const last = path[path.length - 1]!;
        const list = (parent[last] ??= []);
        if (!Array.isArray(list)) this.error(`"${path.join('.')}" is not an array of tables`);
        const entry: TomlTable = {};
        list.push(entry);
        table = entry;
      } else if (this.text[this.pos] === '[') {
        this.pos += 1;
        const path = this.keyPath();
        this.expect(']');
        table = this.tableAt(this.root, path);
      } else {
        this.keyValue(table);
      }
      this.endOfLine();
    }
  }

  private keyValue(table: TomlTable): void {
    const path = this.keyPath();
    this.skipSpaces();
    this.expect('=');
    this.skipSpaces();
    const value = this.value();
    const parent = this.tableAt(table, path.slice(0, -1));
    parent[path[path.length - 1]!] = value;
  }

  /** `a.b."c d"` → ['a', 'b', 'c d'] */
  private keyPath(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.text[this.pos];
      if (c === '"') parts.push(this.basicString());
      else if (c === "'") parts.push(this.literalString());
      else {
        const start = this.pos;
        while (this.pos < this.text.length && BARE_KEY.test(this.text[this.pos]!)) this.pos += 1;
        if (start === this.pos) this.error('expected a key');
        parts.push(this.text.slice(start, this.pos));
      }
      this.skipSpaces();
      if (this.text[this.pos] !== '.') return parts;
      this.pos += 1;
    }
  }

  /** The table at `path` below `from`, created when missing; the last element of an array of tables. */
  private tableAt(from: TomlTable, path: string[]): TomlTable {
    let table = from;
    for (const key of path) {
      let next = table[key];
      if (next === undefined) next = table[key] = {};
      if (Array.isArray(next)) next = next[next.length - 1]!;
      if (typeof next !== 'object' || Array.isArray(next)) this.error(`"${key}" is not a table`);
      table = next;
    }
    return table;
  }

  private value(): TomlValue {
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('"""')) return this.multilineBasicString();
    if (rest.startsWith("'''")) return this.multilineLiteralString();
    if (rest[0] === '"') return this.basicString();
    if (rest[0] === "'") return this.literalString();
    if (rest[0] === '[') return this.array();
    if (rest[0] === '{') return this.inlineTable();
    const token = /^[^\s,\]}#]+/.exec(rest)?.[0];
    if (!token) this.error('expected a value');
    this.pos += token.length;
    if (token === 'true') return true;
    if (token === 'false') return false;
    const plain = token.replace(/_/g, '');
    if (/^[+-]?\d+$/.test(plain)) return Number(plain);
    if (/^0x[0-9a-f]+$/i.test(plain)) return Number.parseInt(plain.slice(2), 16);
    if (/^0o[0-7]+$/.test(plain)) return Number.parseInt(plain.slice(2), 8);
    if (/^0b[01]+$/.test(plain)) return Number.parseInt(plain.slice(2), 2);
    if (/^[+-]?(\d+(\.\d+)?([eE][+-]?\d+)?|inf|nan)$/.test(plain)) {
      return plain.endsWith('inf') ? (plain.startsWith('-') ? -Infinity : Infinity) : plain.endsWith('nan') ? NaN : Number(plain);
    }
    // A local date or time; a date-time may hold one space (`1979-05-27 07:32:00`).
    if (/^\d{4}-\d{2}-\d{2}$/.test(token) && /^ \d{2}:/.test(this.text.slice(this.pos))) {
      const time = /^ [^\s,\]}#]+/.exec(this.text.slice(this.pos))![0];
      this.pos += time.length;
      return token + time;
    }
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(token)) return token;
    this.error(`unexpected value "${token}"`);
  }

  private array(): TomlValue[] {
    this.pos += 1;
    const items: TomlValue[] = [];
    for (;;) {
      this.skipBlankLinesAndComments();
      if (this.text[this.pos] === ']') {
        this.pos += 1;
        return items;
      }
      items.push(this.value());
      this.skipBlankLinesAndComments();
      if (this.text[this.pos] === ',') this.pos += 1;
      else if (this.text[this.pos] !== ']') this.error('expected "," or "]" in an array');
    }
  }

  private inlineTable(): TomlTable {
    this.pos += 1;
    const table: TomlTable = {};
    this.skipSpaces();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return table;
    }
    for (;;) {
      this.keyValue(table);
      this.skipSpaces();
      if (this.text[this.pos] === '}') {
        this.pos += 1;
        return table;
      }
      this.expect(',');
    }
  }

  private basicString(): string {
    this.pos += 1;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.error('unterminated string');
      this.pos += 1;
      if (c === '"') return out;
      out += c === '\\' ? this.escape() : c;
    }
  }

  private literalString(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    const newline = this.text.indexOf('\n', this.pos + 1);
    if (end < 0 || (newline >= 0 && newline < end)) this.error('unterminated string');
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  private multilineBasicString(): string {
    this.pos += 3;
    if (this.text[this.pos] === '\n') this.pos += 1;
    else if (this.text.startsWith('\r\n', this.pos)) this.pos += 2;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.error('unterminated string');
      if (this.text.startsWith('"""', this.pos)) {
        // Up to two quotes may end the content right before the closing delimiter.
        let end = this.pos + 3;
        while (this.text[end] === '"' && end - this.pos < 5) end += 1;
        out += '"'.repeat(end - this.pos - 3);
        this.pos = end;
        return out;
      }
      const c = this.text[this.pos]!;
      this.pos += 1;
      if (c !== '\\') {
        out += c;
      } else if (/^[ \t]*\r?\n/.test(this.text.slice(this.pos))) {
        // A line-ending backslash trims the line break and the whitespace that follows it.
        while (/\s/.test(this.text[this.pos] ?? '')) this.pos += 1;
      } else {
        out += this.escape();
      }
    }
  }

  private multilineLiteralString(): string {
    let start = this.pos + 3;
    if (this.text[start] === '\n') start += 1;
    else if (this.text.startsWith('\r\n', start)) start += 2;
    let end = this.text.indexOf("'''", start);
    if (end < 0) this.error('unterminated string');
    // Up to two quotes may end the content right before the closing delimiter.
    for (let extra = 0; extra < 2 && this.text[end + 3] === "'"; extra += 1) end += 1;
    this.pos = end + 3;
    return this.text.slice(start, end);
  }

  /** After a backslash in a basic string. */
  private escape(): string {
    const c = this.text[this.pos];
    this.pos += 1;
    if (c !== undefined && c in ESCAPES) return ESCAPES[c]!;
    if (c === 'e') return '\x1b';
    const digits = c === 'u' ? 4 : c === 'U' ? 8 : c === 'x' ? 2 : 0;
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (digits === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) this.error(`invalid escape "\\${c ?? ''}"`);
    this.pos += digits;
    return String.fromCodePoint(Number.parseInt(hex, 16));
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos += 1;
  }

  private skipBlankLinesAndComments(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.pos += 1;
      else if (c === '#') this.skipComment();
      else return;
    }
  }

  private skipComment(): void {
    const newline = this.text.indexOf('\n', this.pos);
    this.pos = newline < 0 ? this.text.length : newline;
  }

  /** Nothing but a comment may follow a key/value pair or a table header on its line. */
  private endOfLine(): void {
    this.skipSpaces();
    if (this.text[this.pos] === '#') this.skipComment();
    if (this.text[this.pos] === '\r') this.pos += 1;
    if (this.pos < this.text.length && this.text[this.pos] !== '\n') this.error(`unexpected "${this.text[this.pos]}" after a value`);
  }

  private expect(token: string): void {
    if (!this.text.startsWith(token, this.pos)) this.error(`expected "${token}"`);
    this.pos += token.length;
  }

  private error(message: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new TomlError(message, line);
  }
}
