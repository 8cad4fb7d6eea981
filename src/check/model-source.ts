/**
 * Model classes read from a module's text without parsing it: the classes (at module level, in
 * if/try blocks too), their bases, the fields their bodies declare (`name = <callee>Field(...)`,
 * `ForeignKey(...)`), their other names (methods, class attributes, `self.x = …`), their `Meta`
 * (`abstract`, `app_label`), and the module's imports and simple assignments. The model catalog is
 * built from this, so that the many files that declare models but never name the field looked for
 * are read, not parsed. Strings and comments are blanked first, so that neither can end a block.
 */

export interface FieldText {
  name: string;
  /** The callee as written: `models.ForeignKey`. */
  callee: string;
  /** The arguments' text, between the parentheses (the original text, strings kept). */
  args: string;
}

export interface ClassText {
  name: string;
  /** Index of the `class` keyword: the class_definition's start, as the parser has it. */
  start: number;
  /** The bases' text, keyword arguments (`metaclass=`) left out. */
  bases: string[];
  fields: FieldText[];
  /** Methods, properties, class attributes and `self.x = …` attributes. */
  names: string[];
  abstract: boolean;
  appLabel: string | null;
}

export interface ImportText {
  /** The module as written, leading dots of a relative import kept: `..models`. */
  module: string;
  /** The imported name, or null for `import module as alias`. */
  name: string | null;
}

export interface ModuleText {
  classes: ClassText[];
  /** Names bound by imports at module level. */
  imports: Map<string, ImportText>;
  /** Modules star-imported, as written. */
  starImports: string[];
  /** `Name = <expression>` at module level: the expression's text. */
  assignments: Map<string, string>;
}

interface Block {
  kind: 'class' | 'def' | 'other';
  indent: number;
  /** The class's text (kind class), or the Meta it fills (a `class Meta:` in a class). */
  cls?: ClassText;
  meta?: ClassText;
  bodyIndent?: number;
}

export function readModuleText(source: string): ModuleText {
  const blank = blankStringsAndComments(source);
  const module: ModuleText = { classes: [], imports: new Map(), starImports: [], assignments: new Map() };
  const stack: Block[] = [];
  for (const line of logicalLines(blank)) {
    while (stack.length > 0 && line.indent <= stack[stack.length - 1]!.indent) stack.pop();
    const top = stack[stack.length - 1];
    const inFunction = stack.some((block) => block.kind === 'def');
    const inClass = stack.some((block) => block.kind === 'class');
    if (top?.kind === 'class' && top.bodyIndent === undefined) top.bodyIndent = line.indent;
    // Most lines of a models module are method bodies, where only a nested def or class and a
    // `self.x = …` matter: those lines are passed over without a copy of their text.
    if (inFunction && !mayOpenBlock(blank, line.start) && !(inClass && includesBetween(blank, 'self.', line.start, line.textEnd))) continue;
    const text = blank.slice(line.start, line.textEnd);
    const original = source.slice(line.start, line.end);
    const atClassBody = top?.kind === 'class' && line.indent === top.bodyIndent;

    const header = /^(async\s+)?(class|def)\s+(\w+)/.exec(text);
    if (header) {
      const name = header[3]!;
      if (atClassBody) top.cls?.names.push(name);
      if (header[2] === 'def') {
        stack.push({ kind: 'def', indent: line.indent });
        continue;
      }
      const block: Block = { kind: 'class', indent: line.indent };
      if (atClassBody && name === 'Meta' && top.cls) block.meta = top.cls;
      else if (!inFunction && !inClass) {
        block.cls = { name, start: line.start + text.indexOf('class'), bases: basesOf(text, original), fields: [], names: [], abstract: false, appLabel: null };
        module.classes.push(block.cls);
      }
      stack.push(block);
      continue;
    }
    if (/:\s*$/.test(text) && /^(if|elif|else|for|while|try|except|finally|with|async\s+(?:for|with)|match|case)\b/.test(text)) {
      stack.push({ kind: 'other', indent: line.indent });
      continue;
    }
    const assignment = /^(\w+)\s*(?::[^=]+)?=(?!=)\s*/.exec(text);
    if (atClassBody && top.meta) {
      if (assignment?.[1] === 'abstract') top.meta.abstract = /^True\b/.test(text.slice(assignment[0].length));
      if (assignment?.[1] === 'app_label') top.meta.appLabel = stringAt(original, assignment[0].length);
      continue;
    }
    if (atClassBody && top.cls) {
      if (!assignment) continue;
      const name = assignment[1]!;
      top.cls.names.push(name);
      const call = /^([A-Za-z_][\w.]*)\s*\(/.exec(text.slice(assignment[0].length));
      if (call && /(?:Field|ForeignKey|OneToOneField|ManyToManyField|ForeignObject|GenericRelation)$/.test(call[1]!)) {
        const open = assignment[0].length + call[0].length - 1;
        const close = matchingParen(text, open);
        top.cls.fields.push({ name, callee: call[1]!, args: original.slice(open + 1, close === -1 ? original.length : close) });
      }
      continue;
    }
    // Inside a method of a class: its `self.x = ...` attributes.
    if (inClass && inFunction) {
      const owner = [...stack].reverse().find((block) => block.kind === 'class');
      if (owner?.cls) for (const match of text.matchAll(/\bself\.(\w+)\s*(?::[^=]+)?=(?!=)/g)) owner.cls.names.push(match[1]!);
      continue;
    }
    if (inFunction || inClass) continue;
    // Module level (if/try blocks included).
    const from = /^from\s+(\.*[\w.]*)\s+import\s+(.+)$/s.exec(text);
    if (from) {
      const names = from[2]!.replace(/[()\\]/g, ' ');
      if (names.trim() === '*') module.starImports.push(from[1]!);
      for (const item of names.split(',')) {
        const parts = item.trim().split(/\s+as\s+/);
        if (parts[0] && parts[0] !== '*' && /^\w+$/.test(parts[0])) module.imports.set((parts[1] ?? parts[0]).trim(), { module: from[1]!, name: parts[0] });
      }
      continue;
    }
    const plain = /^import\s+(.+)$/s.exec(text);
    if (plain) {
      for (const item of plain[1]!.split(',')) {
        const parts = item.trim().split(/\s+as\s+/);
        if (!parts[0]) continue;
        if (parts[1]) module.imports.set(parts[1].trim(), { module: parts[0].trim(), name: null });
        else module.imports.set(parts[0].split('.')[0]!.trim(), { module: parts[0].split('.')[0]!.trim(), name: null });
      }
      continue;
    }
    if (assignment) module.assignments.set(assignment[1]!, original.slice(assignment[0].length).trim());
  }
  return module;
}

/** A line that may be a `def`, `async def` or `class` header, by the letter it starts with. */
function mayOpenBlock(blank: string, start: number): boolean {
  const first = blank.charCodeAt(start);
  return first === 100 /* d */ || first === 99 /* c */ || first === 97 /* a */;
}

function includesBetween(text: string, search: string, start: number, end: number): boolean {
  const at = text.indexOf(search, start);
  return at !== -1 && at + search.length <= end;
}

/** The text of the string literal starting at `at` (after optional spaces), or null. */
function stringAt(text: string, at: number): string | null {
  const match = /^\s*[rbuRBU]?(["'])((?:\\.|(?!\1)[^\\])*)\1/.exec(text.slice(at));
  return match ? match[2]! : null;
}

/** The string values of `name=` in call arguments' text. */
export function keywordStringIn(args: string, name: string): string | null {
  const match = new RegExp(`(?:^|[,(\\s])${name}\\s*=\\s*[rbuRBU]?(["'])((?:\\\\.|(?!\\1)[^\\\\])*)\\1`).exec(args);
  return match ? match[2]! : null;
}

/** Top-level comma-separated parts of an argument list's text. */
export function splitArguments(args: string): string[] {
  const blank = blankStringsAndComments(args);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < blank.length; i++) {
    const c = blank[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(args.slice(start).trim());
  return parts.filter(Boolean);
}

function basesOf(blank: string, original: string): string[] {
  const open = blank.indexOf('(');
  if (open === -1) return [];
  const close = matchingParen(blank, open);
  return splitArguments(original.slice(open + 1, close === -1 ? original.length : close))
    .filter((base) => !/^\w+\s*=/.test(base))
    .map((base) => base.replace(/\s+/g, ''));
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

interface LogicalLine {
  /** Offset of its first non-blank character, and the end of its last physical line. */
  start: number;
  end: number;
  /** The end of its text, trailing blanks left out. */
  textEnd: number;
  indent: number;
}

/**
 * Logical lines of blanked source: a line continues while brackets are open or it ends in a
 * backslash. Offsets only: copying every line's text made most of this module's cost (its garbage).
 */
function logicalLines(blank: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let i = 0;
  while (i < blank.length) {
    let end = blank.indexOf('\n', i);
    if (end === -1) end = blank.length;
    let start = i;
    while (start < end && isBlank(blank.charCodeAt(start))) start++;
    if (start === end) {
      i = end + 1;
      continue;
    }
    let depth = 0;
    let j = start;
    for (; j < blank.length; j++) {
      const c = blank.charCodeAt(j);
      if (c === 40 || c === 91 || c === 123) depth++; // ( [ {
      else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1); // ) ] }
      else if (c === 10 && depth === 0 && blank.charCodeAt(j - 1) !== 92) break; // a newline, not after a backslash
    }
    let textEnd = j;
    while (textEnd > start && isBlank(blank.charCodeAt(textEnd - 1))) textEnd--;
    lines.push({ start, end: j, textEnd, indent: start - i });
    i = j + 1;
  }
  return lines;
}

/** Whitespace as String.prototype.trim() sees it (a byte-order mark among it). */
function isBlank(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 160) return false;
  return (
    code === 160 || code === 5760 || (code >= 8192 && code <= 8202) || code === 8232 || code === 8233 || code === 8239 || code === 8287 || code === 12288 || code === 65279
  );
}

/**
 * The source with the insides of string literals and comments replaced by spaces (newlines kept):
 * same length, same offsets, and no bracket, colon or keyword left in a string or a comment.
 */
export function blankStringsAndComments(source: string): string {
  const special = /["'#]/g;
  // Stretches joined once at the end: concatenating as they come left a rope to flatten.
  const parts: string[] = [];
  let copied = 0;
  for (let match = special.exec(source); match; match = special.exec(source)) {
    const at = match.index;
    if (source[at] === '#') {
      const newline = source.indexOf('\n', at);
      const end = newline === -1 ? source.length : newline;
      parts.push(source.slice(copied, at), ' '.repeat(end - at));
      copied = end;
      special.lastIndex = end;
      continue;
    }
    const quote = source[at]!;
    const triple = source.startsWith(quote.repeat(3), at);
    const open = at + (triple ? 3 : 1);
    const stop = triple ? new RegExp(`\\\\|${quote}{3}`, 'g') : quote === '"' ? /[\\\n"]/g : /[\\\n']/g;
    let close = source.length;
    stop.lastIndex = open;
    for (let found = stop.exec(source); found; found = stop.exec(source)) {
      if (found[0] === '\\') {
        stop.lastIndex = found.index + 2;
        continue;
      }
      close = found.index;
      break;
    }
    parts.push(source.slice(copied, open), blankKeepingNewlines(source, open, close));
    copied = close;
    // The closing quote is copied with the next stretch of code; a newline ends an unterminated string.
    special.lastIndex = source[close] === '\n' ? close : close + (triple ? 3 : 1);
  }
  parts.push(source.slice(copied));
  return parts.join('');
}

/** Spaces for `source[start, end)`, its newlines kept. */
function blankKeepingNewlines(source: string, start: number, end: number): string {
  const newline = source.indexOf('\n', start);
  if (newline === -1 || newline >= end) return ' '.repeat(end - start);
  return source.slice(start, end).replace(/[^\n]/g, ' ');
}
