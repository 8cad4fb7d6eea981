/**
 * A fast lexical pass over Python source, used only to prove that an occurrence of a name can NOT
 * be a reference (it sits in a comment, or in a plain string whose text is prose), so that files
 * whose every occurrence is like that are never parsed. Everything else goes to tree-sitter,
 * which decides. When the lexer is not sure (an f-string with an interpolation, an unterminated
 * string), it says `unknown`, and the file is parsed: the shortcut can cost speed, never a finding.
 */

export type LexicalContext =
  | { in: 'code' }
  | { in: 'comment' }
  /** A plain (non-f) string literal, with its text between the quotes as written. */
  | { in: 'string'; text: string }
  | { in: 'unknown' };

// Sticky scanners, reused (their lastIndex is set before every exec).
const SPECIAL = /["'#\n()[\]{}\\]/g;
const SPECIAL_CONTEXT_ONLY = /["'#]/g;
const STOP_DOUBLE = /[\\\n"]/g;
const STOP_SINGLE = /[\\\n']/g;

const CODE: LexicalContext = { in: 'code' };
const COMMENT: LexicalContext = { in: 'comment' };
const UNKNOWN: LexicalContext = { in: 'unknown' };

/** What the lexer learnt about a source, for the occurrences it was asked about. */
export interface Lexed {
  /** The context of each index asked about, in the same order. */
  contexts: LexicalContext[];
  /**
   * Start offsets of the top-level statements (a decorated definition, or a compound statement
   * with its `else`/`except`/`finally` parts, is one), up to the first one after the last index;
   * null when the lexer gave up (then parse the whole file).
   */
  statements: number[] | null;
}

/** Lines at column 0 that continue the statement above rather than start one. */
const CONTINUATION_KEYWORD = /^(?:else|elif|except|finally)\b/;

/**
 * The lexical context of each index (sorted ascending) in `source`, and where its top-level
 * statements start. Indices are where a name starts; a name never straddles a token boundary, so
 * its first character decides.
 */
export function lexPython(source: string, indices: number[], options: { statements?: boolean } = {}): Lexed {
  const withStatements = options.statements !== false;
  const contexts: LexicalContext[] = new Array(indices.length);
  const statements: number[] = [0];
  let next = 0; // the next index to place
  const place = (end: number, context: LexicalContext): void => {
    while (next < indices.length && indices[next]! < end) contexts[next++] = context;
  };
  const last = indices.length > 0 ? indices[indices.length - 1]! : -1;
  const length = source.length;
  let depth = 0; // open brackets: a newline inside them does not end a statement
  let decorated = source.startsWith('@'); // the last top-level line was a decorator
  // Only quotes, comments, brackets, backslashes and newlines change the state: jump between them.
  // Without statements, only quotes and comments matter, and the pass ends after the last index.
  const special = withStatements ? SPECIAL : SPECIAL_CONTEXT_ONLY;
  let i = 0;
  while (withStatements || next < indices.length) {
    special.lastIndex = i;
    const found = special.exec(source);
    if (!found) break;
    i = found.index;
    const c = source.charCodeAt(i);
    if (c === 10 /* \n */) {
      i += 1;
      if (depth > 0 || i >= length) continue;
      const first = source.charCodeAt(i);
      // Blank, indented and comment-only lines never start a statement.
      if (first === 32 || first === 9 || first === 10 || first === 13 || first === 35 || first === 12) continue;
      if (CONTINUATION_KEYWORD.test(source.slice(i, i + 8))) continue;
      const decorator = first === 64; /* @ */
      if (!decorated) {
        statements.push(i);
        if (i > last) break; // the statement after the last index: nothing more to learn
      }
      decorated = decorator;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) {
      depth++;
      i++;
      continue;
    }
    if (c === 41 || c === 93 || c === 125) {
      if (depth > 0) depth--;
      i++;
      continue;
    }
    if (c === 92 /* backslash: an explicit line continuation */) {
      i += 2;
      continue;
    }
    if (c === 35 /* # */) {
      const end = lineEnd(source, i);
      place(i, CODE);
      place(end, COMMENT);
      i = end;
      continue;
    }
    // String prefix letters just before the quote (`rb"..."`, `f'...'`), read as char codes: this
    // runs for every string of every candidate file.
    let start = i;
    let fString = false;
    while (start > i - 2 && start > 0 && isPrefixLetter(source.charCodeAt(start - 1))) {
      start--;
      const letter = source.charCodeAt(start) | 32;
      if (letter === 102 /* f */ || letter === 116 /* t */) fString = true;
    }
    if (start < i && start > 0 && isWordCode(source.charCodeAt(start - 1))) {
      start = i; // `name"...` is not a prefix
      fString = false;
    }
    const quote = source[i]!;
    const triple = source.charCodeAt(i + 1) === c && source.charCodeAt(i + 2) === c;
    const open = i + (triple ? 3 : 1);
    const close = findClose(source, open, quote, triple, fString);
    place(start, CODE);
    if (close === -1) {
      // Unterminated, or an interpolation we do not follow: leave the rest to the parser.
      place(length + 1, UNKNOWN);
      return { contexts, statements: null };
    }
    const after = close + (triple ? 3 : 1);
    // Most strings hold no occurrence: slice only those that do.
    if (next < indices.length && indices[next]! < after) {
      const text = source.slice(open, close);
      place(after, fString && text.includes('{') ? UNKNOWN : { in: 'string', text });
    }
    i = after;
  }
  place(length + 1, CODE);
  return { contexts, statements: withStatements ? statements : null };
}

/** Only the contexts (see lexPython). */
export function lexicalContexts(source: string, indices: number[]): LexicalContext[] {
  return lexPython(source, indices).contexts;
}

/** r, b, u, f, t in either case. */
function isPrefixLetter(code: number): boolean {
  const lower = code | 32;
  return lower === 114 || lower === 98 || lower === 117 || lower === 102 || lower === 116;
}

function isWordCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127;
}

function lineEnd(source: string, from: number): number {
  const end = source.indexOf('\n', from);
  return end === -1 ? source.length : end;
}

/**
 * Where the closing quote starts, or -1 when the string does not end (or, in an f-string, an
 * interpolation holds a quote: Python 3.12 lets it nest the same quotes, which a lexer this
 * simple cannot follow).
 */
function findClose(source: string, from: number, quote: string, triple: boolean, fString: boolean): number {
  if (!fString) {
    // Only a backslash, a newline or the quote matter: jump between them.
    const stop = quote === '"' ? STOP_DOUBLE : STOP_SINGLE;
    for (let i = from; ; ) {
      stop.lastIndex = i;
      const found = stop.exec(source);
      if (!found) return -1;
      i = found.index;
      const ch = source[i];
      if (ch === '\\') i += 2;
      else if (ch === '\n') {
        if (!triple) return -1;
        i += 1;
      } else if (!triple || source.startsWith(quote.repeat(3), i)) return i;
      else i += 1;
    }
  }
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      i++; // an escaped character never closes the string (raw strings too)
      continue;
    }
    if (fString) {
      if (ch === '{') {
        if (source[i + 1] === '{' && depth === 0) i++;
        else depth++;
        continue;
      }
      if (ch === '}' && depth > 0) {
        depth--;
        continue;
      }
      if (depth > 0 && (ch === '"' || ch === "'" || ch === '#')) return -1;
    }
    if (ch === '\n' && !triple) return -1;
    if (ch === quote && depth === 0 && (!triple || source.startsWith(quote.repeat(3), i))) return i;
  }
  return -1;
}
