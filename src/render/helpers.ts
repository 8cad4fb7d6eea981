/**
 * Handlebars helpers of the template API. Registered on a fresh Handlebars instance per run
 * (never the global one: packs must not leak into each other), and on node-plop by plopfile.ts.
 */
import type HandlebarsNamespace from 'handlebars';
import { pythonLiteral } from './python-literal.js';

type Hbs = typeof HandlebarsNamespace;

/**
 * Wraps prose into `# ` comment lines of at most `width` characters. With `bullet`, the first
 * line starts with `- ` and the rest are indented to match.
 */
export function commentLines(text: string, width = 78, bullet = false): string {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  if (bullet) return lines.map((l, i) => `# ${i === 0 ? '- ' : '  '}${l}`).join('\n');
  return lines.map((l) => (l ? `# ${l}` : '#')).join('\n');
}

export const templateHelpers: Record<string, (...args: any[]) => unknown> = {
  /** `{{py value}}`: a Python literal (strings quoted as ruff keeps them, numbers with `_`). */
  py: (value: unknown) => pythonLiteral(value),
  /** `{{comment text}}`: `# ` lines wrapped to fit inside an operations list. */
  comment: (text: unknown) => (typeof text === 'string' && text.trim() ? commentLines(text) : ''),
  /** `{{headerComment text}}`: module-level `# ` lines, wrapped at 86 columns. */
  headerComment: (text: unknown) => (typeof text === 'string' && text.trim() ? commentLines(text, 86) : '#'),
  /** `{{headerBullet text}}`: a `# - ` bullet, continuation lines aligned. */
  headerBullet: (text: unknown) => commentLines(String(text), 84, true),
  join: (items: unknown, separator: unknown) => (Array.isArray(items) ? items.join(typeof separator === 'string' ? separator : ', ') : ''),
  eq: (a: unknown, b: unknown) => a === b,
  lower: (s: unknown) => String(s).toLowerCase(),
  json: (value: unknown) => JSON.stringify(value),
  add: (a: unknown, b: unknown) => Number(a) + Number(b),
  /** `{{> (concat "functions/" kind)}}`: builds a dynamic partial name. */
  concat: (...args: unknown[]) => args.slice(0, -1).map(String).join(''),
  /** SQL for RunDDL: one statement as a string, several as a list, none as `None`. */
  sql: (statements: unknown) =>
    statements === null || statements === undefined
      ? 'None'
      : Array.isArray(statements) && statements.length === 1
        ? pythonLiteral(statements[0])
        : pythonLiteral(statements),
};

export function registerHelpers(hbs: Hbs): void {
  for (const [name, helper] of Object.entries(templateHelpers)) hbs.registerHelper(name, helper);
}
