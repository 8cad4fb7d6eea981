/** Validation of the names a user gives, and the names bg-scaffold derives from them. */
import { fail } from '../../errors.js';
import type { DjangoApp, DjangoModel } from '../../project/types.js';
import { ancestorsOf, reverseNames } from './relations.js';

/** Python's hard keywords: never an identifier. */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue',
  'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in',
  'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/**
 * Python's soft keywords are keywords only in `match` statements and `type` aliases: real models
 * have fields called `type` or `case`. Django and bg-scaffold quote every identifier they write, so
 * the SQL reserved-word refusal below lets these through too.
 */
const PYTHON_SOFT_KEYWORDS = new Set(['match', 'case', 'type', '_']);

/**
 * Attributes every Django model has (django.db.models.Model): a field of that name hides them, and
 * `save()`, `delete()` or `manage.py check` (`Model.check`) break.
 */
const MODEL_ATTRIBUTES = new Set([
  'DoesNotExist', 'MultipleObjectsReturned', 'NotUpdated', '_meta', '_state', 'adelete', 'arefresh_from_db',
  'asave', 'check', 'clean', 'clean_fields', 'date_error_message', 'delete', 'from_db', 'full_clean',
  'get_constraints', 'get_deferred_fields', 'prepare_database_save', 'refresh_from_db', 'save', 'save_base',
  'serializable_value', 'unique_error_message', 'validate_constraints', 'validate_unique',
]);

/**
 * PostgreSQL's reserved key words (appendix C, "reserved" and "reserved (can be function or type)")
 * plus the few MySQL adds on top that are likely as column names. Django quotes identifiers, so
 * these would work, but every hand-written query against them would need quoting.
 */
const SQL_RESERVED = new Set([
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'authorization',
  'binary', 'both', 'case', 'cast', 'check', 'collate', 'collation', 'column', 'concurrently',
  'constraint', 'create', 'cross', 'current_catalog', 'current_date', 'current_role',
  'current_schema', 'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable',
  'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'freeze',
  'from', 'full', 'grant', 'group', 'having', 'ilike', 'in', 'initially', 'inner', 'intersect',
  'into', 'is', 'isnull', 'join', 'lateral', 'leading', 'left', 'like', 'limit', 'localtime',
  'localtimestamp', 'natural', 'not', 'notnull', 'null', 'offset', 'on', 'only', 'or', 'order',
  'outer', 'overlaps', 'placing', 'primary', 'references', 'returning', 'right', 'select',
  'session_user', 'similar', 'some', 'symmetric', 'system_user', 'table', 'tablesample', 'then',
  'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'verbose', 'when',
  'where', 'window', 'with', 'key', 'keys', 'range', 'rank', 'read', 'index', 'interval', 'match',
]);

/** PostgreSQL truncates identifiers longer than this many bytes. */
const MAX_IDENTIFIER_BYTES = 63;

export function isPythonKeyword(name: string): boolean {
  return PYTHON_KEYWORDS.has(name);
}

export function isSqlReserved(name: string): boolean {
  return SQL_RESERVED.has(name.toLowerCase());
}

/** Python identifiers: Unicode letters (XID_Start) or `_`, then XID_Continue (PEP 3131). */
const PYTHON_IDENTIFIER = /^[\p{XID_Start}_][\p{XID_Continue}]*$/u;

export function isPythonIdentifier(name: string): boolean {
  return PYTHON_IDENTIFIER.test(name);
}

/** Where a new field goes, beyond its model: other models' relations and parents name things on it too. */
export interface NewFieldContext {
  appLabel: string;
  /** Every app the project's models point from and at (appsWithInstalled). */
  apps: DjangoApp[];
  /** The new field's column when it is not its name (`author_id` for a foreign key). */
  column?: string;
}

/** The primary key Django adds when the model declares none: `id`, or `<parent>_ptr` for a child of multi-table inheritance. */
function autoPrimaryKey(model: DjangoModel, context: NewFieldContext | undefined): string | null {
  if (model.fields.some((f) => f.primaryKey)) return null;
  if (model.django) return model.django.autoPk?.name ?? null;
  const parent = context ? ancestorsOf(model, context.appLabel, context.apps).find((a) => a.concrete && a.direct) : undefined;
  return parent ? `${parent.model.name.toLowerCase()}_ptr` : 'id';
}

/**
 * Checks that `name` can be a new Django field on `model`: a valid Python identifier that Django
 * accepts as a field name (no `__`, no trailing `_`, not `pk`), not a reserved word, not taken by a
 * field, column, method or attribute of the model or its parents, nor by a reverse relation that
 * another model's foreign key gives it. Django's check ids are in the messages where it has one.
 */
export function validateNewFieldName(name: string, model: DjangoModel, flag: string, context?: NewFieldContext): void {
  const where = `${model.name}`;
  const named = `${flag} "${name}"`;
  if (!isPythonIdentifier(name)) {
    fail(`${named} is not a valid Python identifier; use letters, digits and underscores, not starting with a digit`);
  }
  if (name.normalize('NFKC') !== name) {
    fail(`${named} is read by Python as "${name.normalize('NFKC')}" (identifiers are NFKC-normalized); write it that way`);
  }
  if (isPythonKeyword(name)) fail(`${named} is a Python keyword; choose another name`);
  if (name.endsWith('_')) fail(`${named} ends with "_", which Django does not allow for field names (fields.E001); choose another name`);
  if (name.includes('__')) fail(`${named} contains "__", which Django reserves for lookups (fields.E002); choose another name`);
  if (name === 'pk') fail(`${flag} "pk" is reserved by Django (fields.E003); choose another name`);
  if (isSqlReserved(name) && !PYTHON_SOFT_KEYWORDS.has(name)) {
    fail(`${named} is a reserved word in SQL; choose another name (e.g. "${name}_value")`);
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    fail(`${named} is longer than ${MAX_IDENTIFIER_BYTES} bytes, PostgreSQL's identifier limit`);
  }
  const autoPk = autoPrimaryKey(model, context);
  if (name === 'id' && autoPk === 'id') {
    fail(`${flag} "id" is the name of the primary key Django adds to ${where}; only the primary key may be called id (models.E004); choose another name`);
  }
  const ancestors = context ? ancestorsOf(model, context.appLabel, context.apps) : [];
  const takenBy = [
    ...model.fields.map((f) => [f.name, `a field of ${where}`] as const),
    ...model.methods.map((m) => [m, `a method of ${where}`] as const),
    ...model.otherAttributes.map((a) => [a, `an attribute of ${where}`] as const),
    ...(autoPk && autoPk !== 'id' ? [[autoPk, `the parent link Django adds to ${where}`] as const] : []),
    ...ancestors.flatMap(({ model: parent, concrete }) => [
      ...(concrete ? parent.fields.map((f) => [f.name, `a field of ${parent.name}, which ${where} inherits (models.E006)`] as const) : []),
      ...(concrete && !parent.fields.some((f) => f.primaryKey) ? [['id', `the primary key of ${parent.name}, which ${where} inherits (models.E006)`] as const] : []),
      ...parent.methods.map((m) => [m, `a method of ${parent.name}, which ${where} inherits`] as const),
      ...parent.otherAttributes.map((a) => [a, `an attribute of ${parent.name}, which ${where} inherits`] as const),
    ]),
  ].find(([taken]) => taken === name);
  if (takenBy) fail(`${named} is already ${takenBy[1]}; choose another name`);
  if (name === 'objects' && !model.django?.managers.some((manager) => manager.name !== 'objects')) {
    fail(`${flag} "objects" is the name Django gives ${where}'s default manager; a field of that name makes Django refuse the model ("must specify a custom Manager"); choose another name`);
  }
  if (MODEL_ATTRIBUTES.has(name)) {
    fail(`${named} is an attribute every Django model has (Model.${name}); a field of that name would hide it; choose another name`);
  }

  // SQLite and MySQL compare column names without regard to case: `Pages` beside `pages` is one column there.
  const newColumns = [...new Set([name, context?.column ?? name])];
  const columns = [
    ...model.fields.filter((f) => f.column !== '').map((f) => ({ column: f.column, of: `${where}.${f.name}` })),
    ...(autoPk ? [{ column: model.django?.autoPk?.column ?? primaryKeyColumnOf(model, autoPk), of: `${where}'s primary key` }] : []),
  ];
  for (const column of newColumns) {
    const subject = column === name ? named : `${named} (column "${column}")`;
    const clash = columns.find((c) => c.column === column);
    if (clash) fail(`${subject} is already the column of ${clash.of}; choose another name`);
    const folded = columns.find((c) => c.column.toLowerCase() === column.toLowerCase());
    if (folded) {
      fail(`${subject} differs only in case from the column "${folded.column}" of ${folded.of}; SQLite and MySQL treat them as one column; choose another name`);
    }
  }

  if (context) {
    const reverse = reverseNames(model, context.appLabel, context.apps).find((r) => r.name === name);
    if (reverse) {
      const what = reverse.kind === 'accessor' ? 'reverse accessor' : 'reverse query name';
      const check = reverse.kind === 'accessor' ? 'fields.E302' : 'fields.E303';
      fail(`${named} clashes with the ${what} that ${reverse.from} gives ${where} (${check}); choose another name, or set another related_name there first`);
    }
  }
}

/** The column of the primary key Django adds: `id`, or `<parent>_ptr_id`. */
function primaryKeyColumnOf(model: DjangoModel, autoPk: string): string {
  return autoPk === 'id' ? 'id' : (model.pkColumn && model.pkColumn !== 'id' ? model.pkColumn : `${autoPk}_id`);
}

/** The longest change id: it names a folder and stamps every artefact. */
export const MAX_CHANGE_ID = 80;

/**
 * `order-quantity-to-qty`: readable, stable, and safe in file names. A long one keeps a readable
 * prefix and ends in a short hash of the whole, so that it fits MAX_CHANGE_ID and stays distinct.
 */
export function deriveChangeId(parts: string[]): string {
  const joined = parts.join('-');
  // Names in other alphabets (`größe`, `数量`) keep what has an ASCII spelling, and a hash of the
  // whole keeps two of them apart.
  const ascii = joined.normalize('NFKD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss');
  const full = ascii
    .replace(/_/g, '-')
    .replace(/[^a-zA-Z0-9-]/g, '')
    .toLowerCase()
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const hashed = /[^\x00-\x7f]/.test(joined);
  if (full.length <= MAX_CHANGE_ID && !hashed) return full;
  let hash = 5381;
  for (const ch of hashed ? joined : full) hash = ((hash * 33) ^ ch.charCodeAt(0)) >>> 0;
  const suffix = `-${hash.toString(16).padStart(8, '0')}`;
  return full.slice(0, MAX_CHANGE_ID - suffix.length).replace(/-+$/, '') + suffix;
}

/** Folders of `.bg-scaffold/` that are not change records. */
const RESERVED_CHANGE_IDS = new Set(['templates']);

export function validateChangeId(change: string): void {
  if (!new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_CHANGE_ID - 1}}$`).test(change)) {
    fail(`change id "${change}" must be lowercase letters, digits and dashes (at most ${MAX_CHANGE_ID}); pass another with --change-id`);
  }
  if (RESERVED_CHANGE_IDS.has(change)) {
    fail(`change id "${change}" is reserved (.bg-scaffold/${change}/ holds template overrides); pass another with --change-id`);
  }
}

/**
 * A PostgreSQL identifier of at most 63 bytes that stays unique: long names keep a readable
 * prefix and end in a short hash of the full name (as Django does for index names).
 */
export function pgIdentifier(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
  let hash = 5381;
  for (const ch of name) hash = ((hash * 33) ^ ch.charCodeAt(0)) >>> 0;
  const suffix = `_${hash.toString(16).padStart(8, '0')}`;
  return name.slice(0, MAX_IDENTIFIER_BYTES - suffix.length) + suffix;
}
