/** Formatting of everything bg-scaffold writes: Python as `ruff format` would, Markdown and JSON with Prettier. */
import { format as ruffFormat } from '@wasm-fmt/ruff_fmt';
import * as prettier from 'prettier';

/** Ruff's defaults: 88 columns, double quotes, spaces, magic trailing comma respected. */
export function formatPython(source: string, path = 'generated.py', lineWidth = 88): string {
  try {
    return ruffFormat(source, path, { line_width: lineWidth, indent_style: 'space', indent_width: 4, quote_style: 'double' });
  } catch (error) {
    // A template that renders invalid Python is a bug in the template pack, not bad user input.
    throw new Error(`template output for ${path} is not valid Python: ${String(error)}\n--- output ---\n${source}`);
  }
}

export async function formatMarkdown(source: string): Promise<string> {
  return prettier.format(source, { parser: 'markdown', proseWrap: 'preserve' });
}

export async function formatJson(value: unknown): Promise<string> {
  return prettier.format(JSON.stringify(value), { parser: 'json' });
}
