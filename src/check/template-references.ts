/**
 * Where a Django or Jinja2 template reads a field: `{{ line.quantity }}`, `{{ line.quantity|floatformat }}`,
 * `{% if line.quantity > 1 %}`, `{{ x|default:line.quantity }}`. A small tokenizer over `{{ }}` and
 * `{% %}` (`{%- -%}` too): text outside them, comments (`{# #}`, `{% comment %}`), `{% verbatim %}`
 * and `{% raw %}` blocks and string literals inside tags are never matched, and only an attribute
 * step (`.quantity`, not a bare context variable `quantity`) counts.
 */

/** String indices where `.name` is looked up on a variable, inside a variable or tag. */
export function templateFieldOccurrences(source: string, name: string): number[] {
  const hits: number[] = [];
  // Tokenize only templates where `.name` appears as a whole word at all.
  if (!hasAttributeStep(source, name)) return hits;
  const tag = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g;
  let skipUntil: RegExp | null = null;
  for (let match = tag.exec(source); match; match = tag.exec(source)) {
    const body = match[1] ?? match[2];
    if (body === undefined) continue; // {# comment #}
    const bodyStart = match.index + 2;
    if (match[2] !== undefined) {
      const tagName = /^[\s-]*(\w+)/.exec(match[2])?.[1] ?? '';
      if (skipUntil) {
        if (skipUntil.test(tagName)) skipUntil = null;
        continue;
      }
      if (tagName === 'comment') {
        skipUntil = /^endcomment$/;
        continue;
      }
      if (tagName === 'verbatim') {
        skipUntil = /^endverbatim$/;
        continue;
      }
      if (tagName === 'raw') {
        // Jinja2's verbatim
        skipUntil = /^endraw$/;
        continue;
      }
    } else if (skipUntil) {
      continue;
    }
    for (const offset of variableSteps(body, name)) hits.push(bodyStart + offset);
  }
  return hits;
}

/** Offsets in a tag body of `name` as an attribute step of a variable (`a.name`, `a.b.name.c`). */
function variableSteps(body: string, name: string): number[] {
  // Blank out string literals, keeping offsets: {% trans "quantity" %} is text, not a lookup.
  const code = body.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (literal) => ' '.repeat(literal.length));
  const offsets: number[] = [];
  const variable = /[A-Za-z_][\w]*(?:\.\w+)+/g;
  for (let match = variable.exec(code); match; match = variable.exec(code)) {
    let offset = match.index;
    const parts = match[0].split('.');
    for (let i = 0; i < parts.length; i++) {
      if (i > 0 && parts[i] === name) offsets.push(offset);
      offset += parts[i]!.length + 1;
    }
  }
  return offsets;
}

/** Whether `.name` occurs with a word boundary after it (`.quantity`, not `.quantity_allocated`). */
function hasAttributeStep(source: string, name: string): boolean {
  const needle = `.${name}`;
  for (let i = source.indexOf(needle); i !== -1; i = source.indexOf(needle, i + 1)) {
    if (!/\w/.test(source[i + needle.length] ?? '')) return true;
  }
  return false;
}
