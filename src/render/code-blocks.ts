/**
 * Marked blocks of application code in a models file:
 *   # >>> bg-scaffold <change> <k>/<N> <role>
 *   ...
 *   # <<< bg-scaffold <change> <k>/<N>
 * A later phase removes every block of its change by these lines, then inserts its own.
 * The Python parser must be loaded (`await loadPythonParser()`) first.
 */
import { BgScaffoldError } from '../errors.js';
import {
  applyEdits,
  bodyStatements,
  docstringOf,
  findMethod,
  findModuleClass,
  indentLines,
  indentationAt,
  isBlankLine,
  lineEnding,
  lineStart,
  nextLineStart,
  outerDefinition,
  type TextEdit,
} from '../python/edit.js';
import { assertParses, positionOf, type SyntaxNode } from '../python/parser.js';

export interface BlockMarker {
  change: string;
  phase: number;
  of: number;
  role: string;
}

export interface CodeBlockPlacement {
  model: string;
  anchor: 'before-class' | 'class-body-end' | 'method-start';
  method: string | null;
  /** Rendered Python at zero indentation; may span lines and hold blank lines. */
  body: string;
}

export function openingMarker(marker: BlockMarker): string {
  return `# >>> bg-scaffold ${marker.change} ${marker.phase}/${marker.of} ${marker.role}`;
}

export function closingMarker(marker: Omit<BlockMarker, 'role'>): string {
  return `# <<< bg-scaffold ${marker.change} ${marker.phase}/${marker.of}`;
}

interface Line {
  start: number;
  /** Offset after its line break. */
  end: number;
  text: string;
}

function splitLines(source: string): Line[] {
  const lines: Line[] = [];
  for (let start = 0; start < source.length;) {
    const end = nextLineStart(source, start);
    lines.push({ start, end, text: source.slice(start, end).replace(/\r?\n$/, '') });
    start = end;
  }
  return lines;
}

/**
 * Removes every block of `change` (any phase), marker lines included, with the blank lines that
 * insertCodeBlock put around it. An opening marker without its closing one is refused.
 */
export function removeCodeBlocks(source: string, file: string, change: string): { source: string; removed: number } {
  const lines = splitLines(source);
  const edits: TextEdit[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const opening = /^([ \t]*)# >>> bg-scaffold (\S+) (\d+)\/(\d+)\b/.exec(lines[index]!.text);
    if (!opening || opening[2] !== change) continue;
    const closing = `# <<< bg-scaffold ${change} ${opening[3]}/${opening[4]}`;
    let close = index + 1;
    while (close < lines.length && lines[close]!.text.trim() !== closing) {
      if (/^[ \t]*# >>> bg-scaffold /.test(lines[close]!.text)) close = lines.length;
      else close += 1;
    }
    if (close >= lines.length) {
      throw new BgScaffoldError(
        `${file}:${index + 1}: "${lines[index]!.text.trim()}" has no closing "${closing}" line; restore it, or delete the block by hand`,
      );
    }
    let first = index;
    let last = close;
    if (opening[1] === '') {
      // Module level: the two blank lines put between the block and the class.
      for (let blanks = 0; blanks < 2 && last + 1 < lines.length && isBlankLine(lines[last + 1]!.text); blanks += 1)
        last += 1;
    } else if (first > 0 && isBlankLine(lines[first - 1]!.text)) {
      // Class body: the blank line put before the block.
      first -= 1;
    }
    edits.push({ start: lines[first]!.start, end: lines[last]!.end, text: '' });
    index = close;
  }
  if (edits.length === 0) return { source, removed: 0 };
  return { source: applyEdits(source, edits, file), removed: edits.length };
}

function wrap(body: string, indent: string, marker: BlockMarker, eol: string): string {
  let code = body
    .replace(/\r\n/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
  // Rendered as a module (two blank lines between definitions); a class or method body wants one.
  if (indent !== '') code = code.replace(/\n(?:[ \t]*\n){2,}/g, '\n\n');
  return (
    [`${indent}${openingMarker(marker)}`, indentLines(code, indent, eol), `${indent}${closingMarker(marker)}`].join(
      eol,
    ) + eol
  );
}

function locateClass(file: string, root: SyntaxNode, model: string): SyntaxNode {
  const cls = findModuleClass(root, model);
  if (!cls) {
    throw new BgScaffoldError(`${file}: no class "${model}" at module level; was it renamed, moved or edited by hand?`);
  }
  return cls;
}

/** The first statement of a body, refusing `class X: pass` / `def f(): pass` on one line. */
function firstOwnLineStatement(source: string, file: string, definition: SyntaxNode, what: string): SyntaxNode {
  const first = bodyStatements(definition)[0];
  const header = positionOf(source, definition.startIndex).line;
  if (!first || positionOf(source, first.startIndex).line === header) {
    throw new BgScaffoldError(
      `${file}:${header}: put the body of ${what} on its own lines so bg-scaffold can add code to it`,
    );
  }
  return first;
}

/**
 * The end of the comment lines that directly follow a class body's last statement at the body's
 * indentation or deeper: they belong to the body (a block inserted before, whose closing marker line
 * follows its last statement), so code added at the end of the body goes after them.
 */
function afterTrailingComments(source: string, at: number, indent: string): number {
  while (at < source.length) {
    const text = source.slice(at, nextLineStart(source, at)).replace(/\r?\n$/, '');
    const comment = /^([ \t]*)#/.exec(text);
    if (!comment || comment[1]!.length < indent.length) break;
    at = nextLineStart(source, at);
  }
  return at;
}

/** Inserts a marked block at its anchor in the model's class, indented to fit; the result must parse. */
export function insertCodeBlock(source: string, file: string, block: CodeBlockPlacement, marker: BlockMarker): string {
  const tree = assertParses(source, file);
  const eol = lineEnding(source);
  const cls = locateClass(file, tree.rootNode, block.model);
  let at: number;
  let text: string;

  if (block.anchor === 'before-class') {
    // Above the decorators, and above comments that sit directly on the class.
    at = lineStart(source, outerDefinition(cls).startIndex);
    while (at > 0) {
      const above = lineStart(source, at - 1);
      if (!source.startsWith('#', above)) break;
      at = above;
    }
    const before = splitLines(source.slice(0, at));
    let blanks = 0;
    while (blanks < before.length && isBlankLine(before[before.length - 1 - blanks]!.text)) blanks += 1;
    const padding = blanks < before.length ? eol.repeat(Math.max(0, 2 - blanks)) : '';
    text = padding + wrap(block.body, '', marker, eol) + eol + eol;
  } else if (block.anchor === 'class-body-end') {
    const statements = bodyStatements(cls);
    firstOwnLineStatement(source, file, cls, `class ${block.model}`);
    const indent = indentationAt(source, statements[0]!.startIndex);
    at = afterTrailingComments(source, nextLineStart(source, statements[statements.length - 1]!.endIndex), indent);
    const needsBreak = at === source.length && !source.endsWith('\n');
    text = (needsBreak ? eol : '') + eol + wrap(block.body, indent, marker, eol);
  } else {
    const method = block.method ? findMethod(cls, block.method) : null;
    if (!method) {
      throw new BgScaffoldError(
        `${file}: class ${block.model} has no method "${block.method ?? ''}" to add code to; was it removed or renamed by hand?`,
      );
    }
    const first = firstOwnLineStatement(source, file, method, `${block.model}.${block.method}`);
    const indent = indentationAt(source, first.startIndex);
    const docstring = docstringOf(method);
    const colon = method.children.find((child) => child.type === ':')!;
    at = nextLineStart(source, docstring ? docstring.endIndex : colon.endIndex);
    text = wrap(block.body, indent, marker, eol);
  }
  return applyEdits(source, [{ start: at, end: at, text }], file);
}
