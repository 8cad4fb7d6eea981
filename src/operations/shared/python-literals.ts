/**
 * Python string literals as the plans write them into models.py and migrations, spelled in one
 * place. The template helper `{{py}}` (src/render/python-literal.ts) writes its strings with it too.
 */

/** Escapes for the characters a one-line literal cannot hold as they are; other control characters as JSON writes them. */
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * `"new"`: a one-line Python string literal of exactly `text`, quoted the way `ruff format` keeps it
 * (double quotes, single ones when they avoid escaping).
 */
export function pythonString(text: string): string {
  const escaped = text.replace(/[\\\x00-\x1f]/g, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped.includes('"') && !escaped.includes("'")) return `'${escaped}'`;
  return `"${escaped.replace(/"/g, '\\"')}"`;
}
