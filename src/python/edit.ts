/**
 * Surgical edits of Python source: text edits recorded against the original text and applied
 * together, and the small syntax helpers needed to find where to edit. No Django knowledge here.
 * All offsets are JS string indices (UTF-16 code units), the same as tree-sitter's node indices.
 */
import { BgScaffoldError } from '../errors.js';
import { firstSyntaxError, parsePython, positionOf, type SyntaxNode } from './parser.js';

/** Replace `source.slice(start, end)` by `text`. `start === end` inserts. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies all edits to the original text at once (their offsets all refer to `source`), then
 * re-parses the result and refuses it (BgScaffoldError naming `file`) when it is no longer Python.
 * Overlapping edits are a bug in the caller. Inserts at the same offset keep their given order.
 */
export function applyEdits(source: string, edits: TextEdit[], file: string): string {
  const sorted = edits
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.order - b.order)
    .map(({ edit }) => edit);
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < 0 || edit.end > source.length || edit.start > edit.end) {
      throw new Error(`edit out of range: [${edit.start}, ${edit.end}) in ${file}`);
    }
    if (edit.start < cursor) {
      throw new Error(`overlapping edits at offset ${edit.start} in ${file}`);
    }
    out += source.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  out += source.slice(cursor);
  const error = firstSyntaxError(parsePython(out));
  if (error) {
    const { line, column } = positionOf(out, error.startIndex);
    throw new BgScaffoldError(
      `${file}:${line}:${column}: the edited file would not parse as Python, so nothing was written; check that ${file} is valid Python, or edit it by hand`,
    );
  }
  return out;
}

// ---- lines -------------------------------------------------------------------------------

/** `\r\n` when the file's first line break is CRLF, else `\n`. */
export function lineEnding(source: string): string {
  const newline = source.indexOf('\n');
  return newline > 0 && source[newline - 1] === '\r' ? '\r\n' : '\n';
}

/** Offset of the first character of the line holding `index`. */
export function lineStart(source: string, index: number): number {
  return source.lastIndexOf('\n', index - 1) + 1;
}

/** Offset of the line break (`\n`) ending the line holding `index`, or the end of the source. */
export function lineEnd(source: string, index: number): number {
  const newline = source.indexOf('\n', index);
  return newline === -1 ? source.length : newline;
}

/** Offset just after the line break ending the line holding `index` (or the end of the source). */
export function nextLineStart(source: string, index: number): number {
  return Math.min(lineEnd(source, index) + 1, source.length);
}

/** Offset just after the last non-blank character of the line holding `index` (before `\r`, spaces). */
export function lineContentEnd(source: string, index: number): number {
  let end = lineEnd(source, index);
  const start = lineStart(source, index);
  while (end > start && ' \t\r\f'.includes(source[end - 1]!)) end -= 1;
  return end;
}

/** Leading whitespace of the line holding `index`. */
export function indentationAt(source: string, index: number): string {
  const start = lineStart(source, index);
  return /^[ \t]*/.exec(source.slice(start, lineEnd(source, index)))![0];
}

/** True when the text before `index` on its line is only whitespace. */
export function startsLine(source: string, index: number): boolean {
  return /^[ \t\f]*$/.test(source.slice(lineStart(source, index), index));
}

export function isBlankLine(line: string): boolean {
  return /^[ \t\f\r]*$/.test(line);
}

/** Indents every non-blank line of `text` (lines separated by `\n`) and joins them with `eol`. */
export function indentLines(text: string, indent: string, eol: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => (isBlankLine(line) ? '' : indent + line))
    .join(eol);
}

// ---- syntax --------------------------------------------------------------------------------

/** A definition unwrapped from its decorators: `decorated_definition` → its class or function. */
export function unwrapDecorated(node: SyntaxNode): SyntaxNode {
  if (node.type === 'decorated_definition') return node.childForFieldName('definition') ?? node;
  return node;
}

/** The node to cut or insert before for a definition: its decorators included. */
export function outerDefinition(definition: SyntaxNode): SyntaxNode {
  const parent = definition.parent;
  return parent && parent.type === 'decorated_definition' ? parent : definition;
}

/** Classes defined at the top level of a module (decorated or not), in source order. */
export function moduleClasses(root: SyntaxNode): SyntaxNode[] {
  return root.namedChildren.map(unwrapDecorated).filter((node) => node.type === 'class_definition');
}

/** The module-level class named `name`, or null. */
export function findModuleClass(root: SyntaxNode, name: string): SyntaxNode | null {
  return moduleClasses(root).find((node) => definitionName(node) === name) ?? null;
}

export function definitionName(definition: SyntaxNode): string | null {
  return definition.childForFieldName('name')?.text ?? null;
}

/** Statements of a class or function body, comments left out (decorated definitions stay wrapped). */
export function bodyStatements(definition: SyntaxNode): SyntaxNode[] {
  const body = definition.childForFieldName('body');
  if (!body) return [];
  return body.namedChildren.filter((node) => node.type !== 'comment');
}

/** The function defined directly in a class body under `name` (decorated or not), or null. */
export function findMethod(classNode: SyntaxNode, name: string): SyntaxNode | null {
  for (const statement of bodyStatements(classNode)) {
    const definition = unwrapDecorated(statement);
    if (definition.type === 'function_definition' && definitionName(definition) === name) return definition;
  }
  return null;
}

/** The docstring statement of a class or function body, or null. */
export function docstringOf(definition: SyntaxNode): SyntaxNode | null {
  const first = bodyStatements(definition)[0];
  if (first && first.type === 'expression_statement' && first.namedChildCount === 1) {
    const expression = first.namedChild(0)!;
    if (expression.type === 'string' || expression.type === 'concatenated_string') return first;
  }
  return null;
}

/** The single assignment of an expression statement (`x = ...`, `x: int = ...`), or null. */
export function assignmentOf(statement: SyntaxNode): SyntaxNode | null {
  if (statement.type !== 'expression_statement' || statement.namedChildCount !== 1) return null;
  const child = statement.namedChild(0)!;
  return child.type === 'assignment' ? child : null;
}

/** Arguments of a call (or a class's superclass list), without comments: positional and keyword. */
export function callArguments(call: SyntaxNode): SyntaxNode[] {
  const list = call.type === 'argument_list' ? call : call.childForFieldName('arguments');
  if (!list || list.type !== 'argument_list') return [];
  return list.namedChildren.filter((node) => node.type !== 'comment');
}

/** The `name=value` argument of a call, or null. */
export function keywordArgument(call: SyntaxNode, name: string): SyntaxNode | null {
  return (
    callArguments(call).find(
      (node) => node.type === 'keyword_argument' && node.childForFieldName('name')?.text === name,
    ) ?? null
  );
}

/** The last part of a dotted name: `models.CharField` → `CharField`. */
export function lastNamePart(dotted: string): string {
  const parts = dotted.split('.');
  return parts[parts.length - 1]!.trim();
}

/**
 * The value of a string literal (or of adjacent plain literals), escapes decoded; null for
 * anything else, f-strings included.
 */
export function stringValue(node: SyntaxNode): string | null {
  if (node.type === 'concatenated_string') {
    const parts = node.namedChildren.filter((child) => child.type !== 'comment').map(stringValue);
    return parts.every((part) => part !== null) ? parts.join('') : null;
  }
  if (node.type !== 'string') return null;
  if (node.namedChildren.some((child) => child.type === 'interpolation')) return null;
  const start = node.namedChildren.find((child) => child.type === 'string_start');
  const end = node.namedChildren.find((child) => child.type === 'string_end');
  if (!start || !end) return null;
  const prefix = start.text.replace(/['"]/g, '').toLowerCase();
  const raw = node.text.slice(start.endIndex - node.startIndex, end.startIndex - node.startIndex);
  if (prefix.includes('f')) return raw.includes('{') ? null : decodeEscapes(raw);
  return prefix.includes('r') ? raw : decodeEscapes(raw);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function decodeEscapes(raw: string): string {
  return raw.replace(
    /\\(\r\n|[\n\\'"abfnrtv]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3})/g,
    (_match, escape: string) => {
      if (escape === '\r\n') return '';
      if (escape in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[escape]!;
      if (/^[xuU]/.test(escape)) return String.fromCodePoint(parseInt(escape.slice(1), 16));
      return String.fromCodePoint(parseInt(escape, 8));
    },
  );
}
