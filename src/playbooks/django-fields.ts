/**
 * What bg-scaffold knows about Django's field classes: the PostgreSQL column type each one gets,
 * which indexes Django creates for it, and how to write the field inside a migration file.
 */
import { fail } from '../errors.js';
import type { DjangoField, DjangoModel } from '../project/types.js';

const RELATIONS = new Set(['ForeignKey', 'OneToOneField']);

export function isRelation(field: DjangoField): boolean {
  return RELATIONS.has(field.fieldClass);
}

function intKwarg(field: DjangoField, name: string, fallback: number | null): number | null {
  const source = field.kwargs[name];
  if (source === undefined) return fallback;
  return /^\d+$/.test(source.trim()) ? Number(source.trim()) : null;
}

/** The column type Django's PostgreSQL backend gives a field, or null when it cannot be known here. */
export function postgresColumnType(field: DjangoField): string | null {
  const varchar = (fallback: number | null) => {
    const n = intKwarg(field, 'max_length', fallback);
    return n === null ? null : `varchar(${n})`;
  };
  switch (field.fieldClass) {
    case 'BigIntegerField':
    case 'PositiveBigIntegerField':
      return 'bigint';
    case 'IntegerField':
    case 'PositiveIntegerField':
      return 'integer';
    case 'SmallIntegerField':
    case 'PositiveSmallIntegerField':
      return 'smallint';
    case 'BooleanField':
      return 'boolean';
    case 'CharField':
      return varchar(null);
    case 'EmailField':
      return varchar(254);
    case 'URLField':
      return varchar(200);
    case 'SlugField':
      return varchar(50);
    case 'FileField':
    case 'ImageField':
    case 'FilePathField':
      return varchar(100);
    case 'TextField':
      return 'text';
    case 'DateField':
      return 'date';
    case 'DateTimeField':
      return 'timestamp with time zone';
    case 'TimeField':
      return 'time';
    case 'DurationField':
      return 'interval';
    case 'DecimalField': {
      const digits = intKwarg(field, 'max_digits', null);
      const places = intKwarg(field, 'decimal_places', null);
      return digits === null || places === null ? null : `numeric(${digits}, ${places})`;
    }
    case 'FloatField':
      return 'double precision';
    case 'UUIDField':
      return 'uuid';
    case 'JSONField':
      return 'jsonb';
    case 'BinaryField':
      return 'bytea';
    case 'GenericIPAddressField':
    case 'IPAddressField':
      return 'inet';
    default:
      return null;
  }
}

/** Django adds a `varchar_pattern_ops`/`text_pattern_ops` index beside indexes of text columns. */
export function likeIndexOpclass(field: DjangoField): string | null {
  const type = postgresColumnType(field);
  if (type === null) return null;
  if (type.startsWith('varchar')) return 'varchar_pattern_ops';
  if (type === 'text') return 'text_pattern_ops';
  return null;
}

/** The indexes and constraints Django creates for a field on PostgreSQL, by Django's name suffix. */
export function djangoIndexesOf(field: DjangoField): Array<{ suffix: '' | '_like' | '_uniq'; opclass: string | null; unique: boolean }> {
  const like = likeIndexOpclass(field);
  const indexes: Array<{ suffix: '' | '_like' | '_uniq'; opclass: string | null; unique: boolean }> = [];
  if (field.unique && !field.primaryKey) {
    indexes.push({ suffix: '_uniq', opclass: null, unique: true });
    if (like) indexes.push({ suffix: '_like', opclass: like, unique: false });
  } else if (field.dbIndex) {
    indexes.push({ suffix: '', opclass: null, unique: false });
    if (like) indexes.push({ suffix: '_like', opclass: like, unique: false });
  }
  return indexes;
}

export interface FieldExpression {
  /** `models.IntegerField(null=True)` */
  source: string;
  /** Import lines the migration needs for it, beyond `from django.db import migrations, models`. */
  imports: string[];
}

const LITERAL = /^(?:-?\d+(?:\.\d+)?|True|False|None|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|_\("(?:[^"\\\n]|\\.)*"\)|_\('(?:[^'\\\n]|\\.)*'\))$/;

/** Known callables and constants, as a migration file must spell them. */
const KNOWN_REFERENCES: Record<string, FieldExpression> = {
  'timezone.now': { source: 'django.utils.timezone.now', imports: ['import django.utils.timezone'] },
  'django.utils.timezone.now': { source: 'django.utils.timezone.now', imports: ['import django.utils.timezone'] },
  'uuid.uuid4': { source: 'uuid.uuid4', imports: ['import uuid'] },
  'uuid4': { source: 'uuid.uuid4', imports: ['import uuid'] },
  'settings.AUTH_USER_MODEL': { source: 'settings.AUTH_USER_MODEL', imports: ['from django.conf import settings'] },
  dict: { source: 'dict', imports: [] },
  list: { source: 'list', imports: [] },
};

function translateValue(source: string, what: string, appLabel: string): FieldExpression {
  const value = source.trim();
  if (LITERAL.test(value)) {
    // A gettext_lazy call is written as a plain string in migrations, as makemigrations does.
    const gettext = /^_\((.*)\)$/s.exec(value);
    return { source: gettext ? gettext[1]! : value, imports: [] };
  }
  const onDelete = /^(?:models\.|django\.db\.models\.(?:deletion\.)?)?(CASCADE|PROTECT|RESTRICT|SET_NULL|SET_DEFAULT|DO_NOTHING)$/.exec(value);
  if (onDelete) return { source: `django.db.models.deletion.${onDelete[1]}`, imports: ['import django.db.models.deletion'] };
  const known = KNOWN_REFERENCES[value];
  if (known) return known;
  fail(
    `cannot write ${what} = ${value} into a migration (bg-scaffold copies only literals and well-known callables); ` +
      `use --strategy db-column, or simplify the field definition first`,
  );
}

/** The target of a relation as a migration names it: `"shop.customer"`. */
function relationTarget(source: string, appLabel: string): FieldExpression {
  const value = source.trim();
  if (value === 'settings.AUTH_USER_MODEL') return KNOWN_REFERENCES['settings.AUTH_USER_MODEL']!;
  const quoted = /^["'](.+)["']$/.exec(value);
  const target = quoted ? quoted[1]! : value;
  if (target === 'self') return { source: '"self"', imports: [] };
  if (!/^[A-Za-z_][\w.]*$/.test(target)) fail(`cannot resolve the relation target ${value}; use --strategy db-column`);
  const [label, model] = target.includes('.') ? target.split('.', 2) as [string, string] : [appLabel, target];
  return { source: `"${label}.${model.toLowerCase()}"`, imports: [] };
}

/**
 * The field as a migration file writes it, with `kwargs` changed: callee as `models.X`, relation
 * targets as `"app.model"`, callables by their full path. Fails on values it cannot carry over.
 */
export function migrationFieldExpression(
  field: DjangoField,
  appLabel: string,
  change: { set?: Record<string, string>; remove?: string[] } = {},
): FieldExpression {
  const imports = new Set<string>();
  const parts: string[] = [];
  const remove = new Set(change.remove ?? []);
  const kwargs: Record<string, string> = { ...field.kwargs };
  for (const name of remove) delete kwargs[name];
  Object.assign(kwargs, change.set ?? {});
  const take = (e: FieldExpression) => {
    e.imports.forEach((i) => imports.add(i));
    return e.source;
  };

  const positional = [...field.args];
  if (isRelation(field)) {
    const target = positional.shift() ?? kwargs['to'];
    if (target === undefined) fail(`cannot find the target model of ${field.name}; use --strategy db-column`);
    delete kwargs['to'];
    const onDelete = positional.length > 0 ? positional.shift()! : kwargs['on_delete'];
    delete kwargs['on_delete'];
    if (onDelete !== undefined) parts.push(`on_delete=${take(translateValue(onDelete, 'on_delete', appLabel))}`);
    parts.push(`to=${take(relationTarget(target, appLabel))}`);
  } else if (positional.length > 0) {
    // A positional first argument of a plain field is its verbose_name.
    kwargs['verbose_name'] = positional.shift()!;
  }
  if (positional.length > 0) fail(`cannot carry over the positional arguments of ${field.name}; use keyword arguments or --strategy db-column`);
  for (const [name, value] of Object.entries(kwargs)) {
    parts.push(`${name}=${take(translateValue(value, name, appLabel))}`);
  }
  return { source: `models.${field.fieldClass}(${parts.join(', ')})`, imports: [...imports].sort() };
}

export function requireConcreteColumn(model: DjangoModel, field: DjangoField, flag: string): void {
  if (field.primaryKey) fail(`${model.name}.${field.name} is the primary key; bg-scaffold does not rename primary keys`);
  if (field.fieldClass === 'ManyToManyField' || field.column === '') {
    fail(`${model.name}.${field.name} is a many-to-many field and has no column; ${flag} must name a concrete field`);
  }
}
