/**
 * Handlebars helpers of the template API. Registered on a fresh Handlebars instance per run
 * (never the global one: packs must not leak into each other), and on node-plop by plopfile.ts.
 */
import type HandlebarsNamespace from 'handlebars';
import { pythonLiteral } from './python-literal.js';

type Hbs = typeof HandlebarsNamespace;

/** A Handlebars helper: positional arguments, then Handlebars' options object. */
export type TemplateHelper = (...args: any[]) => unknown;

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

export const templateHelpers: Record<string, TemplateHelper> = {
  /** `{{py value}}`: a Python literal (strings quoted as ruff keeps them, numbers with `_`). */
  py: (value: unknown) => pythonLiteral(value),
  /** Text as Markdown shows it literally: `_` and `*` escaped outside code spans (`__init__.py` is not bold). */
  mdText: (text: unknown) => String(text).replace(/(`[^`]*`)|([_*])/g, (_whole, code: string | undefined, mark: string | undefined) => code ?? `\\${mark}`),
  /** `{{comment text}}`: `# ` lines wrapped to fit inside an operations list. */
  comment: (text: unknown) => (typeof text === 'string' && text.trim() ? commentLines(text) : ''),
  /** `{{headerComment text}}`: module-level `# ` lines, wrapped at 86 columns. */
  headerComment: (text: unknown) => (typeof text === 'string' && text.trim() ? commentLines(text, 86) : '#'),
  /** `{{headerBullet text}}`: a `# - ` bullet, continuation lines aligned. */
  headerBullet: (text: unknown) => commentLines(String(text), 84, true),
  /** `{{join items ", "}}`: a list's items joined by the separator (`, ` when none is given). */
  join: (items: unknown, separator: unknown) => (Array.isArray(items) ? items.join(typeof separator === 'string' ? separator : ', ') : ''),
  /** `{{#if (eq a b)}}`: strictly equal. */
  eq: (a: unknown, b: unknown) => a === b,
  /** `{{#if (ne a b)}}`: not strictly equal. */
  ne: (a: unknown, b: unknown) => a !== b,
  /** `{{#if (gt phase.of 1)}}`: compares numbers. */
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
  /** `{{#if (lt a b)}}`: compares numbers. */
  lt: (a: unknown, b: unknown) => Number(a) < Number(b),
  /** `{{#if (and a b c)}}`: true when every argument is truthy (Handlebars' truthiness: `[]` is false). */
  and: (...args: unknown[]) => args.slice(0, -1).every(truthy),
  /** `{{#if (or a b c)}}`: true when any argument is truthy. */
  or: (...args: unknown[]) => args.slice(0, -1).some(truthy),
  /** `{{#if (not value)}}`: negates Handlebars' truthiness. */
  not: (value: unknown) => !truthy(value),
  /** `{{lower text}}`: lowercase. */
  lower: (s: unknown) => String(s).toLowerCase(),
  /** `{{json value}}`: JSON text. */
  json: (value: unknown) => JSON.stringify(value),
  /** `{{add a b}}`: the sum of two numbers. */
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

/** Truthiness as `{{#if}}` sees it: an empty list is false. */
function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

export function registerHelpers(hbs: Hbs): void {
  for (const [name, helper] of Object.entries(templateHelpers)) hbs.registerHelper(name, helper);
}
