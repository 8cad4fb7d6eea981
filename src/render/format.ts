/**
 * Formatting of everything bg-scaffold writes: Python as `ruff format` would; the built-in
 * PLAN.md with its tables aligned as Prettier aligns them (a test holds every golden PLAN.md to
 * Prettier), a pack's own PLAN.md with Prettier itself; JSON with two-space indentation.
 *
 * Prettier is loaded only for a pack's PLAN.md: loading it took about a fifth of a generation's
 * time (bench/README.md, CLI speed).
 */
import { format as ruffFormat } from '@wasm-fmt/ruff_fmt';

/** Ruff's defaults: 88 columns, double quotes, spaces, magic trailing comma respected. */
export function formatPython(source: string, path = 'generated.py', lineWidth = 88): string {
  try {
    return ruffFormat(source, path, { line_width: lineWidth, indent_style: 'space', indent_width: 4, quote_style: 'double' });
  } catch (error) {
    // A template that renders invalid Python is a bug in the template pack, not bad user input.
    throw new Error(`template output for ${path} is not valid Python: ${String(error)}\n--- output ---\n${source}`);
  }
}

/** Markdown from a template: `builtIn` when the built-in pack's template wrote it. */
export async function formatMarkdown(source: string, builtIn = false): Promise<string> {
  if (builtIn) return alignTables(source);
  const prettier = await import('prettier');
  return prettier.format(source, { parser: 'markdown', proseWrap: 'preserve' });
}

export async function formatJson(value: unknown): Promise<string> {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Pads the cells of every pipe table (outside fenced code) to its columns' widths, as Prettier does. */
export function alignTables(markdown: string): string {
  const lines = markdown.split('\n');
  let fenced = false;
  for (let start = 0; start < lines.length; start++) {
    if (/^\s*(```|~~~)/.test(lines[start]!)) fenced = !fenced;
    if (fenced || !isTableRow(lines[start]!) || !isDelimiterRow(lines[start + 1] ?? '')) continue;
    let end = start + 2;
    while (end < lines.length && isTableRow(lines[end]!)) end++;
    const rows = lines.slice(start, end).map(cells);
    const widths = rows[0]!.map((_, column) => Math.max(3, ...rows.map((row, i) => (i === 1 ? 3 : width(row[column] ?? '')))));
    const print = (row: string[], i: number) =>
      `| ${widths.map((w, column) => (i === 1 ? '-'.repeat(w) : pad(row[column] ?? '', w))).join(' | ')} |`;
    lines.splice(start, end - start, ...rows.map(print));
    start = end - 1;
  }
  return lines.join('\n');
}

function isTableRow(line: string): boolean {
  return /^\|.*\|\s*$/.test(line);
}

function isDelimiterRow(line: string): boolean {
  return /^\|(\s*-{3,}\s*\|)+\s*$/.test(line);
}

/** The cells of `| a | b \| c |`: split on pipes that are not escaped. */
function cells(line: string): string[] {
  return line.trim().slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number): string {
  return text + ' '.repeat(to - width(text));
}
