/** Validation of the names a user gives, and the names bg-scaffold derives from them. */
import { fail } from '../errors.js';
import type { DjangoModel } from '../project/types.js';

const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue',
  'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in',
  'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
  'match', 'case', 'type',
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

/**
 * Checks that `name` can be a new Django field on `model`: a valid Python identifier that Django
 * accepts as a field name (no `__`, no trailing `_`, not `pk`), not a reserved word, not taken.
 */
export function validateNewFieldName(name: string, model: DjangoModel, flag: string): void {
  const where = `${model.name}`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    fail(`${flag} "${name}" is not a valid Python identifier; use letters, digits and underscores, not starting with a digit`);
  }
  if (isPythonKeyword(name)) fail(`${flag} "${name}" is a Python keyword; choose another name`);
  if (isSqlReserved(name)) {
    fail(`${flag} "${name}" is a reserved word in SQL; choose another name (e.g. "${name}_value")`);
  }
  if (name.includes('__')) fail(`${flag} "${name}" contains "__", which Django reserves for lookups; choose another name`);
  if (name.endsWith('_')) fail(`${flag} "${name}" ends with "_", which Django does not allow for field names`);
  if (name === 'pk') fail(`${flag} "pk" is reserved by Django; choose another name`);
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    fail(`${flag} "${name}" is longer than ${MAX_IDENTIFIER_BYTES} bytes, PostgreSQL's identifier limit`);
  }
  const takenBy = [
    ...model.fields.map((f) => [f.name, `a field of ${where}`] as const),
    ...model.methods.map((m) => [m, `a method of ${where}`] as const),
    ...model.otherAttributes.map((a) => [a, `an attribute of ${where}`] as const),
  ].find(([taken]) => taken === name);
  if (takenBy) fail(`${flag} "${name}" is already ${takenBy[1]}; choose another name`);
  const column = model.fields.find((f) => f.column === name);
  if (column) fail(`${flag} "${name}" is already the column of ${where}.${column.name}; choose another name`);
}

/** The longest change id: it names a folder and stamps every artefact. */
export const MAX_CHANGE_ID = 80;

/**
 * `order-quantity-to-qty`: readable, stable, and safe in file names. A long one keeps a readable
 * prefix and ends in a short hash of the whole, so that it fits MAX_CHANGE_ID and stays distinct.
 */
export function deriveChangeId(parts: string[]): string {
  const full = parts
    .join('-')
    .replace(/_/g, '-')
    .replace(/[^a-zA-Z0-9-]/g, '')
    .toLowerCase()
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (full.length <= MAX_CHANGE_ID) return full;
  let hash = 5381;
  for (const ch of full) hash = ((hash * 33) ^ ch.charCodeAt(0)) >>> 0;
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

/** `"shop_order"`: a double-quoted SQL identifier. */
export function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
