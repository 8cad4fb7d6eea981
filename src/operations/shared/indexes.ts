/**
 * What the index and constraint operations share: Django's own names for what it creates, the
 * names a model's Meta already holds, the fields a request names, and a condition as Python.
 */
import { createHash } from 'node:crypto';
import { fail } from '../../errors.js';
import { firstSyntaxError, parsePython, positionOf } from '../../python/parser.js';
import type { DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';

/** Django's `names_digest`: md5 over the parts, hex, cut to `length`. */
function namesDigest(parts: string[], length: number): string {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part, 'utf8');
  return hash.digest('hex').slice(0, length);
}

/** A field of an index as Meta writes it: `placed_at` or `-placed_at` (descending). */
export interface IndexField {
  field: DjangoField;
  descending: boolean;
}

/**
 * The name Django gives a Meta index without one (`Index.set_name_with_model`): the table's and
 * first column's heads and a digest of the table, the ordered columns and the suffix `idx`.
 */
export function djangoIndexName(table: string, fields: IndexField[]): string {
  const tableName = table.includes('"') ? table.replace(/^.*"\."?|"/g, '') : table;
  const columns = fields.map((f) => f.field.column);
  const ordered = fields.map((f) => (f.descending ? `-${f.field.column}` : f.field.column));
  const name = `${tableName.slice(0, 11)}_${columns[0]!.slice(0, 7)}_${namesDigest([tableName, ...ordered, 'idx'], 6)}_idx`;
  return name[0] === '_' || /\d/.test(name[0]!) ? `D${name.slice(1)}` : name;
}

/** The names the model's Meta gives its indexes and constraints (from Django, else from the Meta source). */
export function metaNamesOf(model: DjangoModel): { indexes: string[]; constraints: string[] } {
  const meta = model.django?.meta;
  if (meta) return { indexes: meta.indexes.map((i) => i.name), constraints: meta.constraints.map((c) => c.name) };
  // Read statically: the `name="..."` of each entry of Meta's `indexes = [...]` and `constraints = [...]`.
  const text = model.metaText ?? '';
  return { indexes: namesInList(text, 'indexes'), constraints: namesInList(text, 'constraints') };
}

/** The `name="..."` keywords inside the bracketed list assigned to `list` in a Meta's source. */
function namesInList(meta: string, list: string): string[] {
  const start = new RegExp(`\\b${list}\\s*=\\s*[[(]`).exec(meta);
  if (!start) return [];
  let depth = 0;
  let end = meta.length;
  for (let i = start.index + start[0].length - 1; i < meta.length; i++) {
    const ch = meta[i];
    if (ch === '[' || ch === '(') depth += 1;
    else if (ch === ']' || ch === ')') depth -= 1;
    if (depth === 0) {
      end = i;
      break;
    }
  }
  return [...meta.slice(start.index, end).matchAll(/\bname\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!);
}

/**
 * Refuses a name any model of the project already gives an index or constraint: PostgreSQL names
 * indexes per schema, and Django checks constraint names across models (models.E032).
 */
export function requireFreeName(name: string, apps: DjangoApp[], what: 'index' | 'constraint', given: boolean): void {
  const flag = given ? '--name' : `the ${what} name bg-scaffold derives,`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`${flag} "${name}" is not a valid index or constraint name; use letters, digits and underscores, not starting with a digit`);
  // Django refuses index names over 30 characters (models.E034); PostgreSQL cuts any name at 63.
  const longest = what === 'index' ? 30 : 63;
  if (name.length > longest) fail(`${flag} "${name}" is ${name.length} characters; ${what === 'index' ? 'Django allows an index name' : 'PostgreSQL keeps'} at most ${longest}: give a shorter one`);
  for (const app of apps) {
    for (const model of app.models) {
      const { indexes, constraints } = metaNamesOf(model);
      if (indexes.includes(name) || constraints.includes(name)) {
        fail(`${flag} "${name}" is taken: ${app.label}.${model.name}'s Meta already has an index or constraint of that name; ${given ? 'choose another' : 'give another with --name'}`);
      }
    }
  }
}

/** `a,-b` → the model's fields, in order, each with its direction; unknown or column-less ones refused. */
export function parseIndexFields(text: string, model: DjangoModel, flag: string, options: { descending: boolean }): IndexField[] {
  const names = text.split(',').map((part) => part.trim());
  if (names.length === 0 || names.some((name) => name === '' || name === '-')) fail(`${flag} "${text}" names no field; give field names separated by commas, e.g. ${flag} customer,placed_at`);
  const seen = new Set<string>();
  return names.map((raw) => {
    const descending = raw.startsWith('-');
    if (descending && !options.descending) fail(`${flag} "${raw}": a descending field belongs to an index, not a constraint; leave out the "-"`);
    const name = descending ? raw.slice(1) : raw;
    if (seen.has(name)) fail(`${flag} names ${name} twice`);
    seen.add(name);
    const field = model.fields.find((f) => f.name === name) ?? (model.django?.autoPk?.name === name ? null : undefined);
    if (field === undefined) {
      fail(`${flag}: ${model.name} has no field "${name}"; its fields: ${model.fields.map((f) => f.name).join(', ')}`);
    }
    if (field === null) fail(`${flag}: ${name} is the primary key, which has its own index already`);
    if (field.fieldClass === 'ManyToManyField' || field.column === '') fail(`${flag}: ${model.name}.${name} has no column of its own (a many-to-many or generic relation) and cannot be indexed`);
    return { field, descending };
  });
}

/** Python's `Q(...)`, `F(...)` and `Value(...)` as a models.py or migration writes them, from Django's `models`. */
function qualified(expression: string): string {
  // ruff format's quotes: a single-quoted string without a double quote or escape inside becomes double-quoted.
  const quoted = expression.replace(/"(?:[^"\\]|\\.)*"|'([^'"\\]*)'/g, (whole, single: string | undefined) => (single !== undefined ? `"${single}"` : whole));
  return quoted.replace(/(^|[^.\w])(Q|F|Value)\(/g, (_whole, before: string, name: string) => `${before}models.${name}(`);
}

/**
 * `--condition` as the Python expression of a `Q` (`Q(quantity__gte=0)`, `models.Q(...) | Q(...)`):
 * it must parse, and each lookup's first part must be a field of the model. Returns it written
 * with `models.Q`.
 */
export function conditionExpression(text: string, model: DjangoModel, flag = '--condition'): string {
  const source = text.trim();
  if (!source) fail(`${flag} is empty; give a Q expression, e.g. ${flag} "Q(quantity__gte=0)"`);
  const tree = parsePython(`__condition__ = (${source})\n`);
  const error = firstSyntaxError(tree);
  if (error || source.includes('\n')) {
    const at = error ? positionOf(source, Math.max(0, error.startIndex - '__condition__ = ('.length)).column : 1;
    fail(`${flag} "${source}" does not parse as Python (at column ${at}); give a Q expression, e.g. ${flag} "Q(quantity__gte=0)"`);
  }
  if (!/^(?:models\.)?Q\(|^~\s*(?:models\.)?Q\(/.test(source)) fail(`${flag} "${source}" is not a Q expression; write it as Django would, e.g. ${flag} "Q(quantity__gte=0)"`);
  const names = new Set([...model.fields.map((f) => f.name), ...model.fields.map((f) => f.column), 'pk', model.django?.autoPk?.name ?? 'id']);
  for (const match of source.matchAll(/(?:[(,]\s*)([A-Za-z_]\w*)\s*=(?!=)/g)) {
    const lookup = match[1]!;
    const field = lookup.split('__')[0]!;
    if (!names.has(field)) fail(`${flag} looks up "${field}", which is not a field of ${model.name}; its fields: ${model.fields.map((f) => f.name).join(', ')}`);
  }
  return qualified(source);
}

/** The fields a condition looks up, in order of first use: for a name. */
export function conditionFields(condition: string): string[] {
  const fields: string[] = [];
  for (const match of condition.matchAll(/(?:[(,]\s*)([A-Za-z_]\w*)\s*=(?!=)/g)) {
    const field = match[1]!.split('__')[0]!;
    if (!fields.includes(field)) fields.push(field);
  }
  return fields;
}
