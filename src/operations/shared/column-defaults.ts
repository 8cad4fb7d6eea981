/**
 * Database defaults for a column whose field leaves the model: the value the previous release
 * reads in rows the new release inserts. From the field's own `db_default`/`default`, or from the
 * value the user gives (`--fill`), as a PostgreSQL literal (`SET DEFAULT`) and as the Python
 * expression of a `db_default` (other databases).
 */
import { fail } from '../../errors.js';
import type { DjangoField } from '../../project/types.js';
import { postgresColumnType } from './django-fields.js';
import { pythonString } from './python-literals.js';
import { sqlString } from './sql.js';

export interface ColumnDefault {
  /** SQL expression for `ALTER COLUMN ... SET DEFAULT`: `'new'`, `0`, `now()`. */
  sql: string;
  /** Python expression for `db_default=` (null when bg-scaffold cannot write one). */
  python: string | null;
  /** Extra import lines the Python expression needs. */
  imports: string[];
  /** What it is, for people: `"new" (the field's default)`. */
  describe: string;
}

const INTEGER_TYPES = new Set(['integer', 'bigint', 'smallint']);

function isNumericType(type: string | null): boolean {
  return type !== null && (INTEGER_TYPES.has(type) || type.startsWith('numeric') || type === 'double precision');
}

function isTextType(type: string | null): boolean {
  return type !== null && (type === 'text' || type.startsWith('varchar'));
}

/** A Python string literal without escapes (`"new"`, `'new'`, `_("new")`), decoded; else null. */
function plainString(source: string): string | null {
  const match = /^(?:_\()?(?:"([^"\\\n]*)"|'([^'\\\n]*)')\)?$/.exec(source.trim());
  if (!match) return null;
  if (source.trim().startsWith('_(') !== source.trim().endsWith(')')) return null;
  return match[1] ?? match[2] ?? '';
}

/** Callables (and `db_default` expressions) with a non-volatile-enough SQL equivalent. */
const CALLABLE_DEFAULTS: Record<string, { sql: string; python: string | null; imports: string[] }> = {
  'timezone.now': { sql: 'now()', python: 'django.db.models.functions.Now()', imports: ['import django.db.models.functions'] },
  'django.utils.timezone.now': { sql: 'now()', python: 'django.db.models.functions.Now()', imports: ['import django.db.models.functions'] },
  'Now()': { sql: 'now()', python: 'django.db.models.functions.Now()', imports: ['import django.db.models.functions'] },
  'functions.Now()': { sql: 'now()', python: 'django.db.models.functions.Now()', imports: ['import django.db.models.functions'] },
  'models.functions.Now()': { sql: 'now()', python: 'django.db.models.functions.Now()', imports: ['import django.db.models.functions'] },
  'uuid.uuid4': { sql: 'gen_random_uuid()', python: null, imports: [] },
  uuid4: { sql: 'gen_random_uuid()', python: null, imports: [] },
  dict: { sql: "'{}'", python: '{}', imports: [] },
  list: { sql: "'[]'", python: '[]', imports: [] },
};

/**
 * The column default a field already implies: its `db_default`, else its `default` when that is a
 * literal or a well-known callable. Null when there is none bg-scaffold can write as SQL.
 */
export function defaultOfField(field: DjangoField): ColumnDefault | null {
  const source = field.dbDefaultSource ?? field.defaultSource;
  if (source === null) return null;
  const what = field.dbDefaultSource !== null ? 'db_default' : 'default';
  const type = postgresColumnType(field);
  const value = source.trim();
  const known = CALLABLE_DEFAULTS[value];
  if (known) {
    // Only where the SQL function's type fits the column.
    const fits = known.sql === 'now()' ? type === 'date' || type === 'timestamp with time zone' : known.sql === 'gen_random_uuid()' ? type === 'uuid' : type === 'jsonb';
    return fits ? { sql: known.sql, python: known.python, imports: known.imports, describe: `${value} (the field's ${what})` } : null;
  }
  if (value === 'None') return null;
  if (value === 'True' || value === 'False') {
    if (type !== 'boolean') return null;
    return { sql: value.toLowerCase(), python: value, imports: [], describe: `${value} (the field's ${what})` };
  }
  const decimal = /^(?:Decimal|decimal\.Decimal)\((["'])(-?\d+(?:\.\d+)?)\1\)$/.exec(value);
  const number = decimal ? decimal[2]! : /^-?\d+(?:\.\d+)?$/.test(value) ? value : null;
  if (number !== null) {
    if (isNumericType(type)) return { sql: number, python: decimal ? pythonString(number) : number, imports: [], describe: `${value} (the field's ${what})` };
    if (isTextType(type)) return { sql: sqlString(number), python: pythonString(number), imports: [], describe: `${value} (the field's ${what})` };
    return null;
  }
  const text = plainString(value);
  if (text !== null) {
    if (isNumericType(type) || type === 'boolean') return null;
    return { sql: sqlString(text), python: pythonString(text), imports: [], describe: `${pythonString(text)} (the field's ${what})` };
  }
  return null;
}

/** `--fill VALUE` as a default of the field's column type; fails with what it expected. */
export function defaultFromFill(fill: string, field: DjangoField): ColumnDefault {
  const type = postgresColumnType(field);
  const flag = `--fill "${fill}"`;
  const describe = `${JSON.stringify(fill)} (--fill)`;
  if (fill.includes('\0')) fail(`${flag} contains a NUL character`);
  if (type === 'boolean') {
    const truth = /^(true|t|yes|1)$/i.test(fill) ? true : /^(false|f|no|0)$/i.test(fill) ? false : null;
    if (truth === null) fail(`${flag} is not a boolean for ${field.fieldClass} ${field.name}; use true or false`);
    return { sql: String(truth), python: truth ? 'True' : 'False', imports: [], describe };
  }
  if (type !== null && INTEGER_TYPES.has(type)) {
    if (!/^-?\d+$/.test(fill)) fail(`${flag} is not a whole number for ${field.fieldClass} ${field.name}`);
    return { sql: fill, python: fill, imports: [], describe };
  }
  if (type !== null && (type.startsWith('numeric') || type === 'double precision')) {
    if (!/^-?\d+(\.\d+)?$/.test(fill)) fail(`${flag} is not a number for ${field.fieldClass} ${field.name}`);
    return { sql: fill, python: type.startsWith('numeric') ? pythonString(fill) : fill, imports: [], describe };
  }
  const varchar = type ? /^varchar\((\d+)\)$/.exec(type) : null;
  if (varchar && fill.length > Number(varchar[1])) {
    fail(`${flag} is longer than max_length ${varchar[1]} of ${field.name}`);
  }
  if (type === 'uuid' && !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(fill)) {
    fail(`${flag} is not a UUID for ${field.fieldClass} ${field.name}`);
  }
  if (type === 'jsonb') {
    try {
      JSON.parse(fill);
    } catch {
      fail(`${flag} is not JSON for ${field.fieldClass} ${field.name}; quote strings, e.g. --fill '"text"'`);
    }
    // JSON has no exact Python spelling here; other databases get no db_default for it.
    return { sql: sqlString(fill), python: null, imports: [], describe };
  }
  const python = isTextType(type) ? pythonString(fill) : null;
  return { sql: sqlString(fill), python, imports: [], describe };
}
