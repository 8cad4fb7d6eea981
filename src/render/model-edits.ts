/**
 * Applies a phase's ModelEdits to a models file, surgically: only the target field's statement
 * lines change, everything else (comments, blank lines, odd formatting, CRLF) stays byte-identical.
 * Every edit is located in the original text, and all of them are applied together and re-parsed
 * (src/python/edit.ts). The Python parser must be loaded (`await loadPythonParser()`) first.
 */
import { BgScaffoldError } from '../errors.js';
import type { ModelEdit } from '../operations/shared/types.js';
import { readFieldStatement, type FieldSyntax } from '../project/models.js';
import {
  applyEdits,
  assignmentOf,
  bodyStatements,
  callArguments,
  docstringOf,
  findModuleClass,
  indentationAt,
  lineContentEnd,
  lineEnd,
  lineEnding,
  lineStart,
  nextLineStart,
  isBlankLine,
  keywordArgument,
  outerDefinition,
  startsLine,
  stringValue,
  type TextEdit,
} from '../python/edit.js';
import { assertParses, parsePython, positionOf, type SyntaxNode, type SyntaxTree } from '../python/parser.js';
import { formatPython } from './format.js';

/** Which change and phase an edit belongs to; stamped on every line it changes. */
export interface PhaseMarker {
  change: string;
  phase: number;
  of: number;
}

const MARKER_PREFIX = '# bg-scaffold: ';

/** `# bg-scaffold: order-qty 1/2 renamed from quantity` */
export function markerComment(marker: PhaseMarker, note: string): string {
  return `${MARKER_PREFIX}${marker.change} ${marker.phase}/${marker.of}${note ? ` ${note}` : ''}`;
}

function isMarkerOf(segment: string, change: string): boolean {
  return segment === `${MARKER_PREFIX}${change}` || segment.startsWith(`${MARKER_PREFIX}${change} `);
}

/**
 * A comment's text without `change`'s markers: `# keep  # bg-scaffold: c 1/2 x` → `# keep`.
 * Other changes' markers and the user's own words stay. Empty when nothing is left.
 */
export function stripMarkers(comment: string, change: string): string {
  return comment
    .split(/[ \t]*(?=# bg-scaffold: )/)
    .filter((segment) => segment !== '' && !isMarkerOf(segment.trimEnd(), change))
    .join('  ')
    .trimEnd();
}

interface EditContext {
  source: string;
  file: string;
  tree: SyntaxTree;
  eol: string;
  marker: PhaseMarker;
  comments: SyntaxNode[];
  /** Models this phase unmarks (the change is complete): its edits of them stamp no marker. */
  unmarked: Set<string>;
  /** The batch's `rename-class` edits: old name → new name. */
  renames: Map<string, string>;
}

/** The name the source gives the class that a `rename-class` of the batch renames to `name`; or null. */
function nameBeforeRename(context: EditContext, name: string): string | null {
  for (const [from, to] of context.renames) if (to === name) return from;
  return null;
}

function locateModel(context: EditContext, model: string): SyntaxNode {
  const cls = findModuleClass(context.tree.rootNode, model);
  const before = cls ? null : nameBeforeRename(context, model);
  if (before !== null) {
    // A bug in the plan, not in the user's file: a batch names a model as it is before the batch.
    throw new Error(`class ${model} is still ${before} when this batch's edits are located: name it ${before}`);
  }
  if (!cls) {
    throw new BgScaffoldError(
      `${context.file}: no class "${model}" at module level; was it renamed, moved or edited by hand? restore it or update the change`,
    );
  }
  return cls;
}

function locateField(context: EditContext, cls: SyntaxNode, model: string, name: string): FieldSyntax {
  for (const statement of bodyStatements(cls)) {
    const field = readFieldStatement(statement);
    if (field && field.field.name === name) return field;
  }
  const { line } = positionOf(context.source, cls.startIndex);
  throw new BgScaffoldError(
    `${context.file}:${line}: class ${model} declares no field "${name}"; it was renamed or removed by hand, or is inherited from an abstract base (edit it there)`,
  );
}

/** Offset where a line's break starts (`\r\n` or `\n`), or the end of the source. */
function lineBreakAt(source: string, index: number): number {
  const end = lineEnd(source, index);
  return end > 0 && source[end - 1] === '\r' && end < source.length ? end - 1 : end;
}

/** True when the offset sits inside a string literal that goes on past it (a triple-quoted string). */
function insideString(tree: SyntaxTree, index: number): boolean {
  for (let node = tree.rootNode.descendantForIndex(Math.max(0, index - 1), index); node; node = node.parent) {
    if (node.type === 'string' && node.startIndex < index && node.endIndex > index) return true;
  }
  return false;
}

/** A comment's text and end without the `\r` of a CRLF line, which tree-sitter counts as part of it. */
function commentSpan(comment: SyntaxNode): { text: string; end: number } {
  const crlf = comment.text.endsWith('\r');
  return { text: crlf ? comment.text.slice(0, -1) : comment.text, end: crlf ? comment.endIndex - 1 : comment.endIndex };
}

function commentOnLine(context: EditContext, index: number): SyntaxNode | null {
  const start = lineStart(context.source, index);
  const end = lineEnd(context.source, index);
  return context.comments.find((comment) => comment.startIndex >= start && comment.startIndex < end) ?? null;
}

/**
 * Puts `change`'s marker on the statement's first line (or the line of `line`, past the code
 * before it there): replaces ours, or follows the user's comment.
 */
function markerEdit(context: EditContext, statement: SyntaxNode, note: string, line = statement.startIndex): TextEdit {
  const marker = markerComment(context.marker, note);
  const comment = commentOnLine(context, line);
  if (comment && comment.startIndex >= line) {
    const { text, end } = commentSpan(comment);
    const kept = stripMarkers(text, context.marker.change);
    return { start: comment.startIndex, end, text: kept ? `${kept}  ${marker}` : marker };
  }
  let at = lineContentEnd(context.source, line);
  // A triple-quoted string that runs on past the first line cannot take a comment: use the last line.
  if (insideString(context.tree, at)) at = lineContentEnd(context.source, statement.endIndex);
  return { start: at, end: at, text: `  ${marker}` };
}

/** Source of an argument, with a keyword's value replaced when `setKwargs` names it. */
function argumentText(source: string, argument: SyntaxNode, setKwargs: Record<string, string>): string {
  if (argument.type === 'keyword_argument') {
    const name = argument.childForFieldName('name')!.text;
    const value = argument.childForFieldName('value')!;
    if (Object.hasOwn(setKwargs, name)) {
      return (
        source.slice(argument.startIndex, value.startIndex) +
        setKwargs[name] +
        source.slice(value.endIndex, argument.endIndex)
      );
    }
  }
  return argument.text;
}

function keywordName(argument: SyntaxNode): string | null {
  return argument.type === 'keyword_argument' ? argument.childForFieldName('name')!.text : null;
}

/** The comma right after an argument (skipping whitespace and comments), or null. */
function commaAfter(argument: SyntaxNode): SyntaxNode | null {
  for (let next = argument.nextSibling; next; next = next.nextSibling) {
    if (next.type === 'comment') continue;
    return next.type === ',' ? next : null;
  }
  return null;
}

/**
 * Where an argument's own lines end, when it has lines to itself (black's one-per-line layout):
 * the offset after its line break. Null when it shares a line with other code.
 */
function ownLinesEnd(source: string, argument: SyntaxNode): number | null {
  if (!startsLine(source, argument.startIndex)) return null;
  const rest = source.slice(argument.endIndex, lineEnd(source, argument.endIndex));
  if (!/^[ \t]*,?[ \t]*(#.*)?\r?$/.test(rest)) return null;
  return nextLineStart(source, argument.endIndex);
}

interface ArgumentEdits {
  edits: TextEdit[];
  /** True when the whole argument list was rewritten over several lines: the marker goes after its `(`. */
  exploded: boolean;
}

/** Sets, adds and removes keyword arguments of a field call, touching as little text as it can. */
function argumentEdits(
  context: EditContext,
  statement: SyntaxNode,
  call: SyntaxNode,
  setKwargs: Record<string, string>,
  removeKwargs: string[],
  note: string | null,
): ArgumentEdits {
  const { source, eol } = context;
  const list = call.childForFieldName('arguments')!;
  const items = callArguments(call);
  for (const name of removeKwargs) {
    if (Object.hasOwn(setKwargs, name)) throw new Error(`kwarg "${name}" is both set and removed`);
  }
  const existing = new Set(items.map(keywordName).filter((name): name is string => name !== null));
  const added = Object.entries(setKwargs)
    .filter(([name]) => !existing.has(name))
    .map(([name, value]) => `${name}=${value}`);
  const removed = items.filter((item) => removeKwargs.includes(keywordName(item) ?? ''));
  const survivors = items.filter((item) => !removed.includes(item));

  const valueEdits = survivors.flatMap((item): TextEdit[] => {
    const name = keywordName(item);
    if (name === null || !Object.hasOwn(setKwargs, name)) return [];
    const value = item.childForFieldName('value')!;
    return [{ start: value.startIndex, end: value.endIndex, text: setKwargs[name]! }];
  });
  if (added.length === 0 && removed.length === 0) return { edits: valueEdits, exploded: false };

  const texts = [...survivors.map((item) => argumentText(source, item, setKwargs)), ...added];
  const singleLine = positionOf(source, list.startIndex).line === positionOf(source, list.endIndex).line;
  if (singleLine) {
    return { edits: [{ start: list.startIndex, end: list.endIndex, text: `(${texts.join(', ')})` }], exploded: false };
  }

  const ownLines = items.map((item) => ownLinesEnd(source, item));
  if (survivors.length === 0 || ownLines.some((end) => end === null)) {
    // A hanging or mixed layout: rewrite the list one argument per line, as black would.
    const indent = indentationAt(source, statement.startIndex);
    const inner = `${indent}    `;
    // A user comment on the first line is inside the rewritten list: keep it before the marker.
    const firstLineComment = commentOnLine(context, statement.startIndex);
    const kept =
      firstLineComment && firstLineComment.startIndex > list.startIndex && firstLineComment.endIndex < list.endIndex
        ? stripMarkers(firstLineComment.text, context.marker.change)
        : '';
    const comment = [kept, note === null ? '' : markerComment(context.marker, note)].filter(Boolean).join('  ');
    const text =
      `(${comment ? `  ${comment}` : ''}${eol}` +
      texts.map((text) => `${inner}${text},${eol}`).join('') +
      `${indent})`;
    return { edits: [{ start: list.startIndex, end: list.endIndex, text }], exploded: true };
  }

  const edits = [...valueEdits];
  const last = items[items.length - 1]!;
  const trailingComma = commaAfter(last) !== null;
  items.forEach((item, index) => {
    if (removed.includes(item)) {
      edits.push({ start: lineStart(source, item.startIndex), end: ownLines[index]!, text: '' });
    }
  });
  const anchor = survivors[survivors.length - 1]!;
  if (added.length === 0) {
    // The last argument went: keep the list's trailing-comma style.
    const comma = commaAfter(anchor);
    if (!trailingComma && anchor !== last && comma)
      edits.push({ start: comma.startIndex, end: comma.endIndex, text: '' });
  } else {
    if (!commaAfter(anchor)) edits.push({ start: anchor.endIndex, end: anchor.endIndex, text: ',' });
    const indent = indentationAt(source, anchor.startIndex);
    const at = lineBreakAt(source, anchor.endIndex);
    const lines = added.map(
      (text, index) => `${eol}${indent}${text}${trailingComma || index < added.length - 1 ? ',' : ''}`,
    );
    edits.push({ start: at, end: at, text: lines.join('') });
  }
  return { edits, exploded: false };
}

function editField(context: EditContext, edit: Extract<ModelEdit, { kind: 'edit-field' }>): TextEdit[] {
  const field = locateField(context, locateModel(context, edit.model), edit.model, edit.field);
  const edits: TextEdit[] = [];
  if (edit.rename) edits.push({ start: field.target.startIndex, end: field.target.endIndex, text: edit.rename });
  if (edit.callee) {
    const callee = field.call.childForFieldName('function')!;
    edits.push({ start: callee.startIndex, end: callee.endIndex, text: edit.callee });
  }
  // The change's last phase leaves no marker behind: its `unmark` strips the earlier phases' too.
  const note = context.unmarked.has(edit.model) ? null : edit.note;
  const args = argumentEdits(context, field.statement, field.call, edit.setKwargs, edit.removeKwargs, note);
  edits.push(...args.edits);
  if (!args.exploded && note !== null) edits.push(markerEdit(context, field.statement, note));
  return edits;
}

function addField(context: EditContext, edit: Extract<ModelEdit, { kind: 'add-field' }>): TextEdit[] {
  const cls = locateModel(context, edit.model);
  const after = locateField(context, cls, edit.model, edit.after);
  const copy = locateField(context, cls, edit.model, edit.copyOf);
  const { source, eol } = context;
  const present = new Set<string>();
  const texts: string[] = [];
  for (const argument of callArguments(copy.call)) {
    const name = keywordName(argument);
    if (name !== null) present.add(name);
    if (name !== null && edit.removeKwargs.includes(name)) continue;
    texts.push(argumentText(source, argument, edit.setKwargs));
  }
  for (const [name, value] of Object.entries(edit.setKwargs)) {
    if (!present.has(name)) texts.push(`${name}=${value}`);
  }
  const statement = `${edit.name} = ${copy.field.callee}(${texts.join(', ')})  ${markerComment(context.marker, edit.note)}`;
  const at = nextLineStart(source, after.statement.endIndex);
  const needsBreak = at === source.length && !source.endsWith('\n');
  const indent = indentationAt(source, after.statement.startIndex);
  return [{ start: at, end: at, text: `${needsBreak ? eol : ''}${indent}${statement}${eol}` }];
}

/** Longest line a statement bg-scaffold writes keeps on one line (ruff's default width). */
const LINE_WIDTH = 88;

/** Columns a line takes, a tab counting as 4 (ruff's default indent width). */
function columns(line: string): number {
  return line.replace(/\t/g, '    ').length;
}

/** A call given as Python source (`kind` names the edit that gave it), parsed; refuses anything else. */
function parseCall(call: string, kind: string): SyntaxNode {
  const tree = parsePython(call);
  const statement = tree.rootNode.namedChildren[0];
  const expression = statement?.type === 'expression_statement' ? statement.namedChild(0) : null;
  if (tree.rootNode.hasError || tree.rootNode.namedChildCount !== 1 || !expression || expression.type !== 'call') {
    throw new Error(`${kind}: "${call}" is not a single call expression`);
  }
  return expression;
}

/**
 * `<head><call><tail>  # marker` on one line or, when that is longer than ruff's line, the call
 * laid out one argument per line (ruff keeps that layout: its trailing comma), the marker after
 * its `(`. A null marker: no comment.
 */
function callLines(layout: { head: string; tail: string; indent: string; unit: string; eol: string; kind: string }, call: string, marker: string | null): string {
  const { head, tail, indent, unit, eol, kind } = layout;
  const comment = marker === null ? '' : `  ${marker}`;
  const oneLine = `${indent}${head}${call}${tail}`;
  if (columns(oneLine) <= LINE_WIDTH) return `${oneLine}${comment}`;
  const parsed = parseCall(call, kind);
  const callee = parsed.childForFieldName('function')!.text;
  const args = callArguments(parsed).map((argument) => `${indent}${unit}${argument.text},`);
  return [`${indent}${head}${callee}(${comment}`, ...args, `${indent})${tail}`].join(eol);
}

/** `name = call  # marker` on one line, or one argument per line (marker after the `(`) when too long. */
function fieldStatementText(name: string, call: string, indent: string, marker: string, eol: string): string {
  return callLines({ head: `${name} = `, tail: '', indent, unit: '    ', eol, kind: 'insert-field' }, call, marker);
}

function insertField(context: EditContext, edit: Extract<ModelEdit, { kind: 'insert-field' }>): TextEdit[] {
  const cls = locateModel(context, edit.model);
  const { source, eol } = context;
  const statements = bodyStatements(cls);
  const fields = statements.map(readFieldStatement).filter((field): field is FieldSyntax => field !== null);
  if (fields.some((field) => field.field.name === edit.name)) {
    const { line } = positionOf(source, cls.startIndex);
    throw new BgScaffoldError(`${context.file}:${line}: class ${edit.model} already declares a field "${edit.name}"; was this phase applied by hand?`);
  }
  const marker = markerComment(context.marker, edit.note);
  const anchor = edit.first ? null : edit.after !== null ? locateField(context, cls, edit.model, edit.after) : (fields[fields.length - 1] ?? null);
  if (anchor) {
    // After the anchor's statement and its trailing comment, at its indentation.
    const at = nextLineStart(source, anchor.statement.endIndex);
    const needsBreak = at === source.length && !source.endsWith('\n');
    const text = fieldStatementText(edit.name, edit.call, indentationAt(source, anchor.statement.startIndex), marker, eol);
    return [{ start: at, end: at, text: `${needsBreak ? eol : ''}${text}${eol}` }];
  }
  // First in the body (a model without fields yet, or a field that belongs first: the primary
  // key), after the docstring and before the comments above the first statement.
  const header = positionOf(source, cls.startIndex).line;
  const first = statements[0];
  if (!first || positionOf(source, first.startIndex).line === header) {
    throw new BgScaffoldError(`${context.file}:${header}: put the body of class ${edit.model} on its own lines so bg-scaffold can add a field to it`);
  }
  const docstring = docstringOf(cls);
  const body = cls.childForFieldName('body');
  const at = docstring ? nextLineStart(source, docstring.endIndex) : body && edit.first ? lineStart(source, body.startIndex) : lineStart(source, first.startIndex);
  const text = fieldStatementText(edit.name, edit.call, indentationAt(source, first.startIndex), marker, eol);
  return [{ start: at, end: at, text: `${text}${eol}` }];
}

/** The text of the line that ends just before `start` (a line start), without its line break. */
function lineAbove(source: string, start: number): { start: number; text: string } {
  const above = lineStart(source, start - 1);
  return { start: above, text: source.slice(above, start).replace(/\r?\n$/, '') };
}

function removeModel(context: EditContext, edit: Extract<ModelEdit, { kind: 'remove-model' }>): TextEdit[] {
  return [removeTopLevel(context.source, outerDefinition(locateModel(context, edit.model)))];
}

/** Removes a module-level statement with the comment lines right above it and its blank lines. */
function removeTopLevel(source: string, statement: SyntaxNode): TextEdit {
  let start = lineStart(source, statement.startIndex);
  // Comment lines right above it (no blank line between) are about it.
  while (start > 0 && /^[ \t]*#/.test(lineAbove(source, start).text)) start = lineAbove(source, start).start;
  let end = nextLineStart(source, statement.endIndex);
  // The blank lines before it go too, so the code around keeps its spacing; at the top of the
  // file, the blank lines after it go instead.
  while (start > 0 && isBlankLine(lineAbove(source, start).text)) start = lineAbove(source, start).start;
  if (start === 0) {
    while (end < source.length && isBlankLine(source.slice(end, lineEnd(source, end)))) end = nextLineStart(source, end);
  }
  return { start, end, text: '' };
}

function renameClass(context: EditContext, edit: Extract<ModelEdit, { kind: 'rename-class' }>): TextEdit[] {
  const cls = locateModel(context, edit.model);
  const taken = findModuleClass(context.tree.rootNode, edit.to);
  if (taken) {
    throw new BgScaffoldError(
      `${lineOfNode(context, taken)}: there is already a class ${edit.to}, so ${edit.model} cannot take its name; was this phase applied by hand? rename or remove one of them, or choose another name`,
    );
  }
  const name = cls.childForFieldName('name')!;
  const edits: TextEdit[] = [{ start: name.startIndex, end: name.endIndex, text: edit.to }];
  if (!context.unmarked.has(edit.model)) edits.push(markerEdit(context, cls, edit.note));
  return edits;
}

/** The module-level statements `<name> = <identifier>`, in source order. */
function aliasStatements(context: EditContext, name: string): SyntaxNode[] {
  return context.tree.rootNode.namedChildren.filter((statement): statement is SyntaxNode => {
    const assignment = statement ? assignmentOf(statement) : null;
    return assignment?.childForFieldName('left')?.text === name && assignment.childForFieldName('right')?.type === 'identifier';
  });
}

/**
 * `<alias> = <model>` after the class's last line, two blank lines on each side as ruff has them
 * between top-level statements: the two that followed the class now follow the alias. `earlier`
 * are the batch's other edits: one of them may already end the file with a line break.
 */
function addAlias(context: EditContext, edit: Extract<ModelEdit, { kind: 'add-alias' }>, earlier: TextEdit[]): TextEdit[] {
  const { source, eol } = context;
  const model = nameBeforeRename(context, edit.model) ?? edit.model;
  const cls = locateModel(context, model);
  const clash = findModuleClass(context.tree.rootNode, edit.alias);
  // A class of that name stays (unless the batch renames it away): the alias would hide it.
  if (clash && !context.renames.has(edit.alias)) {
    throw new BgScaffoldError(
      `${lineOfNode(context, clash)}: class ${edit.alias} is still defined, so "${edit.alias} = ${edit.model}" would replace it; rename or remove that class first`,
    );
  }
  const existing = context.tree.rootNode.namedChildren.find((statement) => statement && assignmentOf(statement)?.childForFieldName('left')?.text === edit.alias);
  if (existing) {
    throw new BgScaffoldError(
      `${lineOfNode(context, existing)}: ${edit.alias} is already assigned at module level; was this phase applied by hand? remove that statement, then run this again`,
    );
  }
  const at = nextLineStart(source, cls.endIndex);
  const needsBreak = at === source.length && !source.endsWith('\n') && !earlier.some((other) => other.start === at && other.end === at);
  const marker = context.unmarked.has(model) ? '' : `  ${markerComment(context.marker, edit.note)}`;
  return [{ start: at, end: at, text: `${needsBreak ? eol : ''}${eol}${eol}${edit.alias} = ${edit.model}${marker}${eol}` }];
}

function removeAlias(context: EditContext, edit: Extract<ModelEdit, { kind: 'remove-alias' }>): TextEdit[] {
  const statement = aliasStatements(context, edit.alias)[0];
  if (!statement) {
    throw new BgScaffoldError(
      `${context.file}: no module-level "${edit.alias} = <class>" to remove; was it removed or changed by hand? restore it or update the change`,
    );
  }
  return [removeTopLevel(context.source, statement)];
}

/** The target of a relation field's call: its `to=` value, else its first positional argument. */
function relationTarget(call: SyntaxNode): SyntaxNode | null {
  const keyword = keywordArgument(call, 'to');
  if (keyword) return keyword.childForFieldName('value');
  const first = callArguments(call)[0];
  return first && !['keyword_argument', 'list_splat', 'dictionary_splat'].includes(first.type) ? first : null;
}

function retargetRelation(context: EditContext, edit: Extract<ModelEdit, { kind: 'retarget-relation' }>): TextEdit[] {
  const field = locateField(context, locateModel(context, edit.model), edit.model, edit.field);
  const target = relationTarget(field.call);
  const where = `${lineOfNode(context, field.statement)}: ${edit.model}.${edit.field}`;
  if (!target) throw new BgScaffoldError(`${where} names no model it relates to; write its target as the first argument or to=, then run this again`);
  const value = stringValue(target);
  if (value === null) {
    // A class named in the model's own module follows when asked (the alias is there only
    // until the next release); elsewhere the alias keeps a Python name working: nothing to do.
    if (edit.classReference && target.type === 'identifier' && target.text === edit.from) {
      const edits: TextEdit[] = [{ start: target.startIndex, end: target.endIndex, text: edit.to }];
      if (!context.unmarked.has(edit.model)) edits.push(markerEdit(context, field.statement, edit.note));
      return edits;
    }
    return [];
  }
  const parts = target.type === 'string' ? target.namedChildren.filter((child) => child?.type !== 'string_start' && child?.type !== 'string_end') : [];
  const content = parts.length === 1 && parts[0]!.type === 'string_content' ? parts[0]! : null;
  if (value !== edit.from) {
    throw new BgScaffoldError(`${where} relates to "${value}", not "${edit.from}"; was it changed by hand? restore it or update the change`);
  }
  if (!content || content.text !== edit.from) {
    throw new BgScaffoldError(`${where}: write its target as the plain string "${edit.from}" so bg-scaffold can point it at "${edit.to}", then run this again`);
  }
  const edits: TextEdit[] = [{ start: content.startIndex, end: content.endIndex, text: edit.to }];
  if (!context.unmarked.has(edit.model)) edits.push(markerEdit(context, field.statement, edit.note));
  return edits;
}

function removeField(context: EditContext, edit: Extract<ModelEdit, { kind: 'remove-field' }>): TextEdit[] {
  const field = locateField(context, locateModel(context, edit.model), edit.model, edit.field);
  const { source } = context;
  let start = lineStart(source, field.statement.startIndex);
  // Our own marker line directly above the field goes with it.
  if (start > 0) {
    const above = lineStart(source, start - 1);
    if (isMarkerOf(source.slice(above, start).trim(), context.marker.change)) start = above;
  }
  return [{ start, end: nextLineStart(source, field.statement.endIndex), text: '' }];
}

function unmark(context: EditContext, edit: Extract<ModelEdit, { kind: 'unmark' }>): TextEdit[] {
  const cls = locateModel(context, edit.model);
  const { source } = context;
  const from = outerDefinition(cls).startIndex;
  const to = lineEnd(source, cls.endIndex);
  const edits: TextEdit[] = [];
  for (const comment of context.comments) {
    if (comment.startIndex < from || comment.startIndex > to) continue;
    const { text, end } = commentSpan(comment);
    const kept = stripMarkers(text, context.marker.change);
    if (kept === text) continue;
    if (kept) {
      edits.push({ start: comment.startIndex, end, text: kept });
    } else if (startsLine(source, comment.startIndex)) {
      edits.push({
        start: lineStart(source, comment.startIndex),
        end: nextLineStart(source, comment.startIndex),
        text: '',
      });
    } else {
      let start = comment.startIndex;
      while (start > 0 && ' \t'.includes(source[start - 1]!)) start -= 1;
      edits.push({ start, end, text: '' });
    }
  }
  return edits;
}

/** Meta options whose values name fields; other Meta strings (verbose_name …) are left alone. */
const FIELD_NAMING_OPTIONS = new Set(['ordering', 'get_latest_by', 'order_with_respect_to', 'unique_together', 'index_together', 'indexes', 'constraints']);

/** `Q(...)` or `models.Q(...)`: the calls whose keyword arguments are field lookups. */
function isLookupCall(node: SyntaxNode | null): boolean {
  const callee = node?.type === 'call' ? node.childForFieldName('function')?.text : undefined;
  return callee === 'Q' || (callee?.endsWith('.Q') ?? false);
}

function renameInMeta(context: EditContext, edit: Extract<ModelEdit, { kind: 'rename-in-meta' }>): TextEdit[] {
  const cls = locateModel(context, edit.model);
  const meta = metaClassOf(cls);
  if (!meta) return [];
  const path = new RegExp(`^([-+?]?)${edit.from}((?:__\\w*)?)$`);
  const edits: TextEdit[] = [];
  for (const statement of bodyStatements(meta)) {
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    const target = assignment?.type === 'assignment' ? assignment.childForFieldName('left')?.text : undefined;
    if (!assignment || !target || !FIELD_NAMING_OPTIONS.has(target)) continue;
    const before = edits.length;
    const visit = (node: SyntaxNode): void => {
      if (node.type === 'string') {
        const contents = node.namedChildren.filter((child) => child?.type === 'string_content');
        const content = contents.length === 1 && node.namedChildren.every((child) => child?.type !== 'interpolation') ? contents[0]! : null;
        const match = content ? path.exec(content.text) : null;
        if (content && match) edits.push({ start: content.startIndex, end: content.endIndex, text: `${match[1]}${edit.to}${match[2]}` });
        return;
      }
      if (node.type === 'keyword_argument' && isLookupCall(node.parent?.parent ?? null)) {
        // Q(due_back__gte=...): a lookup written as a keyword (not UniqueConstraint(name=...)).
        const name = node.childForFieldName('name')!;
        const match = path.exec(name.text);
        if (match && !match[1]) edits.push({ start: name.startIndex, end: name.endIndex, text: `${edit.to}${match[2]}` });
      }
      for (const child of node.namedChildren) if (child) visit(child);
    };
    visit(assignment.childForFieldName('right')!);
    if (edits.length > before) edits.push(markerEdit(context, statement, edit.note));
  }
  return edits;
}

/** The `class Meta:` of a model, or null. */
function metaClassOf(cls: SyntaxNode): SyntaxNode | null {
  return bodyStatements(cls).find((statement) => statement.type === 'class_definition' && statement.childForFieldName('name')?.text === 'Meta') ?? null;
}

/** The string a keyword argument `name=` of a call holds (`models.Index(..., name="x")` → `x`), or null. */
function nameArgument(call: SyntaxNode): string | null {
  const argument = call.childForFieldName('arguments')?.namedChildren.find((child) => child !== null && keywordName(child) === 'name');
  const value = argument?.childForFieldName('value');
  const content = value?.type === 'string' ? value.namedChildren.find((child) => child?.type === 'string_content') : null;
  return content?.text ?? null;
}

type MetaList = 'indexes' | 'constraints';

/** What one phase does to one Meta list of a model: entries added (in order) and entries removed by name. */
interface MetaListChange {
  list: MetaList;
  added: { entry: string; note: string }[];
  removed: string[];
}

/** The marker an added entry carries, from its note; null in the phase that unmarks the model. */
type EntryMarker = (note: string) => string | null;

/** One level of indentation in a class: its body's indentation past its header's (4 spaces when unclear). */
function indentUnit(source: string, cls: SyntaxNode): string {
  const header = indentationAt(source, cls.startIndex);
  const first = bodyStatements(cls)[0];
  const body = first ? indentationAt(source, first.startIndex) : '';
  return body.startsWith(header) && body.length > header.length ? body.slice(header.length) : '    ';
}

/** The statement `<name> = ...` of a Meta class (the last one: it is the one Django sees), or null. */
function metaStatementOf(meta: SyntaxNode, name: string): SyntaxNode | null {
  const statements = bodyStatements(meta).filter((statement) => assignmentOf(statement)?.childForFieldName('left')?.text === name);
  return statements[statements.length - 1] ?? null;
}

const LIST_ENTRY = { indexes: 'index', constraints: 'constraint' } as const;

function noEntry(context: EditContext, model: string, list: MetaList, name: string): BgScaffoldError {
  return new BgScaffoldError(
    `${context.file}: ${model}'s Meta.${list} has no ${LIST_ENTRY[list]} named "${name}"; was it renamed or removed by hand? restore it or update the change`,
  );
}

/** Where a statement starts, `file:line` for messages. */
function lineOfNode(context: EditContext, node: SyntaxNode): string {
  return `${context.file}:${positionOf(context.source, node.startIndex).line}`;
}

/** `option = value` set in a model's Meta by `set-meta-option`. */
interface MetaOptionChange {
  option: string;
  value: string;
  note: string;
}

/** What one phase does to one model's Meta: its options set, its lists changed. */
interface MetaChanges {
  options: MetaOptionChange[];
  lists: MetaListChange[];
}

/**
 * The edits of one model's Meta for all its changes in a phase, computed together so that an
 * option and an entry set on a model without Meta make one `class Meta`, and removals and
 * additions in one list never touch the same text twice.
 */
function metaEdits(context: EditContext, model: string, changes: MetaChanges): TextEdit[] {
  const cls = locateModel(context, model);
  const meta = metaClassOf(cls);
  const marker: EntryMarker = (note) => (context.unmarked.has(model) ? null : markerComment(context.marker, note));
  const edits: TextEdit[] = [];
  const missingOptions: MetaOptionChange[] = [];
  for (const change of changes.options) {
    const statement = meta ? metaStatementOf(meta, change.option) : null;
    if (statement) edits.push(...optionEdits(context, model, statement, change));
    else missingOptions.push(change);
  }
  const missingLists: MetaListChange[] = [];
  for (const change of changes.lists) {
    const statement = meta ? metaStatementOf(meta, change.list) : null;
    if (meta && statement) edits.push(...listEdits(context, model, meta, statement, change, marker));
    else if (change.removed.length > 0) throw noEntry(context, model, change.list, change.removed[0]!);
    else {
      checkNames(context, model, change, [], cls);
      missingLists.push(change);
    }
  }
  if (missingOptions.length === 0 && missingLists.length === 0) return edits;
  // Options first: `db_table` and the like read before the lists, as Django's docs order them.
  const lines: MetaLines = (indent, unit) => [
    ...missingOptions.map(({ option, value, note }) => {
      const comment = marker(note);
      return `${indent}${option} = ${value}${comment === null ? '' : `  ${comment}`}`;
    }),
    ...missingLists.flatMap((change) => listStatementLines(context, model, change, indent, unit, marker)),
  ];
  return [...edits, meta ? addMetaStatements(context, model, meta, lines) : addMetaClass(context, model, cls, lines)];
}

/** A new value for an existing `option = ...` of Meta; none when it already has it. */
function optionEdits(context: EditContext, model: string, statement: SyntaxNode, change: MetaOptionChange): TextEdit[] {
  const value = assignmentOf(statement)!.childForFieldName('right')!;
  if (value.text === change.value) return [];
  const edits: TextEdit[] = [{ start: value.startIndex, end: value.endIndex, text: change.value }];
  // A value over several lines becomes one: the marker goes on its last line, after the edit.
  if (!context.unmarked.has(model)) edits.push(markerEdit(context, statement, change.note, value.endIndex));
  return edits;
}

/** Refuses an added entry whose `name=` the list already has (or another added entry has). */
function checkNames(context: EditContext, model: string, change: MetaListChange, kept: SyntaxNode[], at: SyntaxNode): void {
  const names = new Set(kept.map((item) => (item.type === 'call' ? nameArgument(item) : null)));
  for (const { entry } of change.added) {
    const name = nameArgument(parseCall(entry, 'add-meta-entry'));
    if (name === null) continue;
    if (names.has(name)) {
      throw new BgScaffoldError(
        `${lineOfNode(context, at)}: ${model}'s Meta.${change.list} already has an entry named "${name}"; was this phase applied by hand? remove that entry, or rename the new one in the change`,
      );
    }
    names.add(name);
  }
}

/** The indentation the formatter writes: 4 spaces a level. */
const FORMAT_UNIT = '    ';

/**
 * An added entry, with its comma, as `ruff format` lays it out in a Meta list: the formatter is
 * given a module that nests it as deep as every Meta list item is (a module-level model, its Meta,
 * the list), and its lines are taken back out, re-indented to `indent` plus `unit` a level. A tab
 * is as wide as 4 spaces to ruff, so in a file indented with tabs this is ruff's layout exactly;
 * in one indented by 2 spaces it is the layout of ruff's default 4.
 */
function formattedEntry(context: EditContext, model: string, list: MetaList, entry: string, indent: string, unit: string): string[] {
  const depth = 3;
  const listLine = `${FORMAT_UNIT.repeat(depth - 1)}${list} = [`;
  const closeLine = `${FORMAT_UNIT.repeat(depth - 1)}]`;
  const module = [`class ${model}:`, `${FORMAT_UNIT}class Meta:`, listLine, `${FORMAT_UNIT.repeat(depth)}${entry},`, closeLine, ''].join('\n');
  let formatted: string;
  try {
    formatted = formatPython(module, context.file);
  } catch (error) {
    // formatPython's message: `… is not valid Python: <ruff's reason> at byte range a..b` and the module.
    const reason = /is not valid Python: (.*?)(?: at byte range \S+)?$/m.exec(error instanceof Error ? error.message : '')?.[1];
    throw new BgScaffoldError(
      `${context.file}: the ${LIST_ENTRY[list]} to add to ${model}'s Meta.${list} is not valid Python${reason ? ` (${reason})` : ''}: ${entry}; correct the change's options, then run this again`,
    );
  }
  const lines = formatted.split('\n');
  return lines.slice(lines.indexOf(listLine) + 1, lines.lastIndexOf(closeLine)).map((line) => {
    const levels = Math.floor((line.length - line.trimStart().length) / FORMAT_UNIT.length) - depth;
    // Less indented than the entry: a line of a multi-line string, its text kept as is.
    if (levels < 0) return line;
    return `${indent}${unit.repeat(levels)}${line.slice((depth + levels) * FORMAT_UNIT.length)}`;
  });
}

/**
 * The added entries' lines as list items at `indent`, each laid out by ruff without its marker, so
 * the file is ruff's once the change is unmarked; the marker goes on the entry's last line (`),`
 * when ruff splits it).
 */
function entryLines(context: EditContext, model: string, change: MetaListChange, indent: string, unit: string, marker: EntryMarker): string[] {
  return change.added.flatMap(({ entry, note }) => {
    const lines = formattedEntry(context, model, change.list, entry, indent, unit);
    const comment = marker(note);
    if (comment !== null) lines[lines.length - 1] += `  ${comment}`;
    return lines;
  });
}

/** Lines of a new `<list> = [` … `]` statement holding the added entries, at `indent`. */
function listStatementLines(context: EditContext, model: string, change: MetaListChange, indent: string, unit: string, marker: EntryMarker): string[] {
  return [`${indent}${change.list} = [`, ...entryLines(context, model, change, `${indent}${unit}`, unit, marker), `${indent}]`];
}

/** Edits of an existing `<list> = [...]` (or tuple) statement in Meta. */
function listEdits(
  context: EditContext,
  model: string,
  meta: SyntaxNode,
  statement: SyntaxNode,
  change: MetaListChange,
  marker: EntryMarker,
): TextEdit[] {
  const { source, eol } = context;
  const value = assignmentOf(statement)!.childForFieldName('right')!;
  if (value.type !== 'list' && value.type !== 'tuple') {
    const edit = change.added.length > 0 ? 'add to it' : `take "${change.removed[0]}" out of it`;
    throw new BgScaffoldError(
      `${lineOfNode(context, statement)}: ${model}'s Meta.${change.list} is not a list literal, so bg-scaffold cannot ${edit}; write it as ${change.list} = [...] with its items spelled out, then run this again`,
    );
  }
  const tuple = value.type === 'tuple';
  const items = value.namedChildren.filter((child): child is SyntaxNode => child !== null && child.type !== 'comment');
  const removed = change.removed.map((name) => {
    const item = items.find((candidate) => candidate.type === 'call' && nameArgument(candidate) === name);
    if (!item) throw noEntry(context, model, change.list, name);
    return item;
  });
  const survivors = items.filter((item) => !removed.includes(item));
  checkNames(context, model, change, survivors, statement);
  if (survivors.length === 0 && change.added.length === 0) return [removeStatement(context, meta, statement)];

  const unit = indentUnit(source, meta);
  const indent = indentationAt(source, statement.startIndex);
  const singleLine = positionOf(source, value.startIndex).line === positionOf(source, value.endIndex).line;
  const ownLines = items.map((item) => ownLinesEnd(source, item));

  if (!singleLine && ownLines.every((end) => end !== null)) {
    // One item per line: removed items' lines go, added ones follow the last item left, at its indentation.
    const edits = removed.map((item): TextEdit => ({ start: lineStart(source, item.startIndex), end: ownLines[items.indexOf(item)]!, text: '' }));
    const anchor = survivors[survivors.length - 1];
    // A tuple left with one item needs its comma, or it is no longer a tuple.
    if (anchor && !commaAfter(anchor) && (change.added.length > 0 || (tuple && survivors.length === 1))) {
      edits.push({ start: anchor.endIndex, end: anchor.endIndex, text: ',' });
    }
    if (change.added.length > 0) {
      const at = lineBreakAt(source, anchor ? anchor.endIndex : value.startIndex);
      const lines = entryLines(context, model, change, anchor ? indentationAt(source, anchor.startIndex) : `${indent}${unit}`, unit, marker);
      edits.push({ start: at, end: at, text: lines.map((line) => `${eol}${line}`).join('') });
    }
    return edits;
  }

  if (change.added.length === 0 && removed.length === 1) {
    const edit = removeListItem(source, items, removed[0]!);
    const survivor = survivors[0]!;
    if (!tuple || survivors.length > 1) return [edit];
    // `(a, b)` less `b` is `(a,)`, not `(a)`: the survivor keeps (or gets) its comma.
    const comma = commaAfter(survivor);
    if (comma && edit.start === comma.startIndex) return [{ ...edit, start: comma.endIndex }];
    return comma ? [edit] : [edit, { start: survivor.endIndex, end: survivor.endIndex, text: ',' }];
  }
  const [open, close] = [source[value.startIndex]!, source[value.endIndex - 1]!];
  if (change.added.length === 0 && singleLine) {
    const texts = survivors.map((item) => item.text).join(', ');
    return [{ start: value.startIndex, end: value.endIndex, text: `${open}${texts}${tuple && survivors.length === 1 ? ',' : ''}${close}` }];
  }
  // A one-line list (or a hanging one) becomes one item per line, its items' text kept as is.
  if (value.namedChildren.some((child) => child?.type === 'comment')) {
    throw new BgScaffoldError(
      `${lineOfNode(context, statement)}: ${model}'s Meta.${change.list} shares lines between items and comments; put each item on its own line, then run this again`,
    );
  }
  const lines = [...survivors.map((item) => `${indent}${unit}${item.text},`), ...entryLines(context, model, change, `${indent}${unit}`, unit, marker)];
  return [{ start: value.startIndex, end: value.endIndex, text: `${open}${eol}${lines.map((line) => `${line}${eol}`).join('')}${indent}${close}` }];
}

/** Takes a Meta statement out, its lines whole; `pass` where Meta would be left empty. */
function removeStatement(context: EditContext, meta: SyntaxNode, statement: SyntaxNode): TextEdit {
  const { source } = context;
  const lines = { start: lineStart(source, statement.startIndex), end: nextLineStart(source, statement.endIndex) };
  const onlyStatement = bodyStatements(meta).length === 1;
  return { ...lines, text: onlyStatement ? `${indentationAt(source, statement.startIndex)}pass${context.eol}` : '' };
}

/** A Meta body's new statements, as lines at `indent` (`unit`: one indentation level of the file). */
type MetaLines = (indent: string, unit: string) => string[];

/** Adds statements as Meta's last; a lone `pass` (on a line of its own) gives way. */
function addMetaStatements(context: EditContext, model: string, meta: SyntaxNode, lines: MetaLines): TextEdit {
  const { source, eol } = context;
  const statements = bodyStatements(meta);
  const last = statements[statements.length - 1]!;
  if (positionOf(source, last.startIndex).line === positionOf(source, meta.startIndex).line) {
    throw new BgScaffoldError(`${lineOfNode(context, meta)}: put the body of ${model}'s class Meta on its own lines so bg-scaffold can add to it`);
  }
  const indent = indentationAt(source, last.startIndex);
  const text = lines(indent, indentUnit(source, meta)).join(eol);
  const docstring = docstringOf(meta);
  const rest = statements.filter((statement) => statement !== docstring);
  const passLine = { start: lineStart(source, last.startIndex), end: lineEnd(source, last.startIndex) };
  if (rest.length === 1 && last.type === 'pass_statement' && /^[ \t]*pass[ \t\r]*$/.test(source.slice(passLine.start, passLine.end))) {
    return { start: passLine.start, end: lineBreakAt(source, last.startIndex), text };
  }
  const at = nextLineStart(source, last.endIndex);
  const needsBreak = at === source.length && !source.endsWith('\n');
  return { start: at, end: at, text: `${needsBreak ? eol : ''}${text}${eol}` };
}

const DEFINITIONS = new Set(['function_definition', 'class_definition', 'decorated_definition']);

/**
 * Adds `class Meta:` with `lines`, where Django's style guide has it: after the fields and
 * managers, before the first method or nested class; one blank line on each side.
 */
function addMetaClass(context: EditContext, model: string, cls: SyntaxNode, lines: MetaLines): TextEdit {
  const { source, eol } = context;
  const statements = bodyStatements(cls);
  const header = positionOf(source, cls.startIndex).line;
  if (!statements[0] || positionOf(source, statements[0].startIndex).line === header) {
    throw new BgScaffoldError(`${context.file}:${header}: put the body of class ${model} on its own lines so bg-scaffold can add a Meta to it`);
  }
  const indent = indentationAt(source, statements[0].startIndex);
  const unit = indentUnit(source, cls);
  const block = [`${indent}class Meta:`, ...lines(`${indent}${unit}`, unit)].join(eol);
  const firstDefinition = statements.findIndex((statement) => DEFINITIONS.has(statement.type));
  const before = firstDefinition === -1 ? statements : statements.slice(0, firstDefinition);
  const anchor = before[before.length - 1];
  if (!anchor) {
    // The body starts with a method: Meta goes first, above the comments about that method.
    let at = lineStart(source, statements[0].startIndex);
    while (positionOf(source, at).line > header + 1 && /^[ \t]*#/.test(lineAbove(source, at).text)) at = lineAbove(source, at).start;
    return { start: at, end: at, text: `${block}${eol}${eol}` };
  }
  const at = nextLineStart(source, anchor.endIndex);
  const needsBreak = at === source.length && !source.endsWith('\n');
  const followedClosely = at < source.length && !isBlankLine(source.slice(at, lineEnd(source, at)));
  return { start: at, end: at, text: `${needsBreak ? eol : ''}${eol}${block}${eol}${followedClosely ? eol : ''}` };
}

function overlaps(a: TextEdit, b: TextEdit): boolean {
  if (a.start === a.end) return b.start < a.start && a.start < b.end;
  if (b.start === b.end) return a.start < b.start && b.start < a.end;
  return Math.max(a.start, b.start) < Math.min(a.end, b.end);
}

/**
 * Applies `edits` to `source` (the text of `file`, for messages) and returns the new text.
 * A target that is not there (renamed or removed by hand) is a BgScaffoldError; so is a result
 * that would not parse. `unmark` leaves alone the comments that other edits of the call rewrite.
 */
export function applyModelEdits(source: string, file: string, edits: ModelEdit[], marker: PhaseMarker): string {
  const tree = assertParses(source, file);
  const context: EditContext = {
    source,
    file,
    tree,
    eol: lineEnding(source),
    marker,
    comments: tree.rootNode.descendantsOfType('comment').filter((node): node is SyntaxNode => node !== null),
    unmarked: new Set(edits.flatMap((edit) => (edit.kind === 'unmark' ? [edit.model] : []))),
    renames: new Map(edits.flatMap((edit) => (edit.kind === 'rename-class' ? [[edit.model, edit.to] as const] : []))),
  };
  const textEdits: TextEdit[] = [];
  const unmarkEdits: TextEdit[] = [];
  const aliases: Extract<ModelEdit, { kind: 'add-alias' }>[] = [];
  const metaChanges = new Map<string, MetaChanges>();
  const metaChangesOf = (model: string): MetaChanges => {
    const changes = metaChanges.get(model) ?? { options: [], lists: [] };
    metaChanges.set(model, changes);
    return changes;
  };
  const metaListChange = (model: string, list: MetaList): MetaListChange => {
    const changes = metaChangesOf(model).lists;
    let change = changes.find((candidate) => candidate.list === list);
    if (!change) changes.push((change = { list, added: [], removed: [] }));
    return change;
  };
  for (const edit of edits) {
    switch (edit.kind) {
      case 'edit-field':
        textEdits.push(...editField(context, edit));
        break;
      case 'add-field':
        textEdits.push(...addField(context, edit));
        break;
      case 'remove-model':
        textEdits.push(...removeModel(context, edit));
        break;
      case 'remove-field':
        textEdits.push(...removeField(context, edit));
        break;
      case 'insert-field':
        textEdits.push(...insertField(context, edit));
        break;
      case 'unmark':
        unmarkEdits.push(...unmark(context, edit));
        break;
      case 'rename-in-meta':
        textEdits.push(...renameInMeta(context, edit));
        break;
      // A model's Meta list edits are gathered and made together, after this loop.
      case 'add-meta-entry':
        metaListChange(edit.model, edit.list).added.push({ entry: edit.entry, note: edit.note });
        break;
      case 'remove-meta-entry':
        metaListChange(edit.model, edit.list).removed.push(edit.name);
        break;
      case 'remove-meta-index':
        metaListChange(edit.model, 'indexes').removed.push(edit.name);
        break;
      case 'set-meta-option':
        metaChangesOf(edit.model).options.push({ option: edit.option, value: edit.value, note: edit.note });
        break;
      case 'rename-class':
        textEdits.push(...renameClass(context, edit));
        break;
      // Made last: a Meta added to the class's end goes at the same offset, and before the alias.
      case 'add-alias':
        aliases.push(edit);
        break;
      case 'remove-alias':
        textEdits.push(...removeAlias(context, edit));
        break;
      case 'retarget-relation':
        textEdits.push(...retargetRelation(context, edit));
        break;
    }
  }
  for (const [model, changes] of metaChanges) textEdits.push(...metaEdits(context, model, changes));
  for (const edit of aliases) textEdits.push(...addAlias(context, edit, textEdits));
  const kept = unmarkEdits.filter((edit) => !textEdits.some((other) => overlaps(edit, other)));
  return applyEdits(source, [...textEdits, ...kept], file);
}

/** Removes one item of a comma-separated list (an import's names, a list's elements), with its comma. */
function removeListItem(source: string, items: SyntaxNode[], item: SyntaxNode): TextEdit {
  const ownLine = ownLinesEnd(source, item);
  if (ownLine !== null) return { start: lineStart(source, item.startIndex), end: ownLine, text: '' };
  const index = items.indexOf(item);
  const comma = commaAfter(item);
  if (comma && index < items.length - 1) {
    // `Book, Loan, Tag` → `Book, Tag`: the item, its comma and the spaces after it.
    let end = comma.endIndex;
    while (source[end] === ' ') end += 1;
    return { start: item.startIndex, end, text: '' };
  }
  // The last item: the comma and spaces before it go.
  const previous = items[index - 1]!;
  const between = commaAfter(previous);
  return { start: between ? between.startIndex : previous.endIndex, end: comma ? comma.endIndex : item.endIndex, text: '' };
}

/**
 * A models package's `__init__.py` re-exports its classes (`from .books import Book, Loan` and
 * `__all__`): when a model leaves its module, its name leaves the package's imports too, or the
 * app no longer loads. `module` is the model's module in the package (`books`). Returns `source`
 * unchanged when it does not name `model`.
 */
export function removeReexport(source: string, file: string, module: string, model: string): string {
  const tree = assertParses(source, file);
  const edits: TextEdit[] = [];
  for (const statement of tree.rootNode.namedChildren) {
    if (!statement) continue;
    const from = statement.type === 'import_from_statement' ? statement.childForFieldName('module_name')?.text : undefined;
    if (from !== undefined && (from === `.${module}` || from.endsWith(`.${module}`))) {
      const names = statement.childrenForFieldName('name').filter((node): node is SyntaxNode => node !== null);
      const imported = (node: SyntaxNode) => (node.type === 'aliased_import' ? node.childForFieldName('name')!.text : node.text);
      const match = names.find((node) => imported(node) === model);
      if (!match) continue;
      if (names.length === 1) edits.push({ start: lineStart(source, statement.startIndex), end: nextLineStart(source, statement.endIndex), text: '' });
      else edits.push(removeListItem(source, names, match));
    }
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type === 'assignment' && assignment.childForFieldName('left')?.text === '__all__') {
      const list = assignment.childForFieldName('right');
      if (!list || (list.type !== 'list' && list.type !== 'tuple')) continue;
      const elements = list.namedChildren.filter((node): node is SyntaxNode => node !== null && node.type !== 'comment');
      const match = elements.find((node) => node.type === 'string' && node.text.slice(1, -1) === model);
      if (match) edits.push(removeListItem(source, elements, match));
    }
  }
  return edits.length === 0 ? source : applyEdits(source, edits, file);
}
