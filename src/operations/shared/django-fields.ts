/**
 * What bg-scaffold knows about Django's field classes: the PostgreSQL column type each one gets,
 * which indexes Django creates for it, and how to write the field inside a migration file.
 */
import { fail } from '../../errors.js';
import type { DjangoField, DjangoModel } from '../../project/types.js';
import { pythonString } from './python-literals.js';

const RELATIONS = new Set(['ForeignKey', 'OneToOneField']);

export function isRelation(field: DjangoField): boolean {
  return RELATIONS.has(field.fieldClass);
}

function intKwarg(field: DjangoField, name: string, fallback: number | null): number | null {
  const source = field.kwargs[name];
  if (source === undefined) return fallback;
  return /^\d+$/.test(source.trim()) ? Number(source.trim()) : null;
}

/**
 * The column type Django's PostgreSQL backend gives a field, or null when it cannot be known here.
 * Django's own answer when it was asked (custom fields, ArrayField, subclasses), else by field class.
 */
export function postgresColumnType(field: DjangoField): string | null {
  if (field.django?.postgresType) return field.django.postgresType;
  return postgresTypeOfClass(field.django?.internalType ? { ...field, fieldClass: field.django.internalType } : field);
}

function postgresTypeOfClass(field: DjangoField): string | null {
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
    `cannot write ${what} = ${value} into a migration without Django (bg-scaffold read the project statically and copies only literals and well-known callables); ` +
      `run it with the project's Python (--python, or BG_PYTHON) so that Django writes the field as makemigrations does`,
  );
}

/** The target of a relation as a migration names it: `"shop.customer"`. */
function relationTarget(source: string, appLabel: string): FieldExpression {
  const value = source.trim();
  if (value === 'settings.AUTH_USER_MODEL') return KNOWN_REFERENCES['settings.AUTH_USER_MODEL']!;
  const quoted = /^["'](.+)["']$/.exec(value);
  const target = quoted ? quoted[1]! : value;
  if (target === 'self') return { source: pythonString('self'), imports: [] };
  if (!/^[A-Za-z_][\w.]*$/.test(target)) fail(`cannot resolve the relation target ${value} without Django; run bg-scaffold with the project's Python (--python)`);
  const [label, model] = target.includes('.') ? target.split('.', 2) as [string, string] : [appLabel, target];
  return { source: pythonString(`${label}.${model.toLowerCase()}`), imports: [] };
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
  if (field.django) return djangoFieldExpression(field, change);
  return staticFieldExpression(field, appLabel, change);
}

/** From Django's own deconstruction: what makemigrations writes, keyword arguments in its order. */
function djangoFieldExpression(field: DjangoField, change: { set?: Record<string, string>; remove?: string[] }): FieldExpression {
  const migration = field.django!.migration;
  if ('error' in migration) fail(`Django cannot write ${field.name} into a migration (${migration.error}); makemigrations could not either: fix the field first`);
  const remove = new Set(change.remove ?? []);
  const kwargs = new Map(migration.kwargs.filter(([name]) => !remove.has(name)));
  for (const [name, value] of Object.entries(change.set ?? {})) kwargs.set(name, value);
  const parts = [...migration.args, ...[...kwargs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => `${name}=${value}`)];
  const imports = migration.imports.filter((line) => line !== 'from django.db import models');
  return { source: `${migration.callee}(${parts.join(', ')})`, imports };
}

function staticFieldExpression(field: DjangoField, appLabel: string, change: { set?: Record<string, string>; remove?: string[] }): FieldExpression {
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
    if (target === undefined) fail(`cannot find the target model of ${field.name} without Django; run bg-scaffold with the project's Python (--python, or BG_PYTHON)`);
    delete kwargs['to'];
    const onDelete = positional.length > 0 ? positional.shift()! : kwargs['on_delete'];
    delete kwargs['on_delete'];
    if (onDelete !== undefined) kwargs['on_delete'] = onDelete;
    kwargs['to'] = target;
  } else if (field.fieldClass === 'EmailField' && kwargs['max_length'] === undefined) {
    // EmailField.deconstruct() always writes its max_length, default or not.
    kwargs['max_length'] = '254';
  }
  if (!isRelation(field) && positional.length > 0 && LITERAL.test(positional[0]!.trim()) && /^_?\(?["']/.test(positional[0]!.trim())) {
    // A positional string of a plain field is its verbose_name.
    kwargs['verbose_name'] = positional.shift()!;
  }
  if (positional.length > 0) {
    fail(
      `cannot carry over the positional argument ${positional[0]!.trim()} of ${field.name} without Django (what it means depends on ${field.fieldClass}); ` +
        `run bg-scaffold with the project's Python (--python, or BG_PYTHON) so that Django writes the field`,
    );
  }
  // In makemigrations' order: keyword arguments sorted by name.
  for (const [name, value] of Object.entries(kwargs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    parts.push(`${name}=${take(name === 'to' ? relationTarget(value, appLabel) : translateValue(value, name, appLabel))}`);
  }
  return { source: `models.${field.fieldClass}(${parts.join(', ')})`, imports: [...imports].sort() };
}

/** A proxy model shares its concrete model's table: changes to columns are made there. */
/**
 * Refuses a model without a table: a proxy (requireOwnTable), or an abstract model, whose change
 * (`todo`: "add the index") is made on it by hand for every model that inherits it.
 */
export function requireTable(model: DjangoModel, todo: string): void {
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract and has no table; ${todo} on the abstract model by hand and run makemigrations`);
}

export function requireOwnTable(model: DjangoModel): void {
  if (model.django?.proxy) {
    const concrete = model.bases.map((base) => base.split('.').pop()!).join(', ');
    fail(`${model.name} is a proxy model and has no table of its own; change ${concrete || 'its concrete model'} instead`);
  }
}

/** The primary key's column: the declared key's, or the one Django adds (`id`, `<parent>_ptr_id`). */
export function primaryKeyColumn(model: DjangoModel): string {
  return model.pkColumn ?? model.fields.find((f) => f.primaryKey)?.column ?? 'id';
}

/**
 * Refuses a field that the operation cannot change as a column of this model's table: a primary
 * key, a field without a column of its own, or one declared in an abstract base class elsewhere.
 */
export function requireConcreteColumn(model: DjangoModel, field: DjangoField, flag: string, operation: 'rename' | 'remove' | 'change' = 'rename'): void {
  const what = `${model.name}.${field.name}`;
  if (field.primaryKey) {
    fail(
      operation === 'remove'
        ? `${what} is the primary key, and a primary key cannot be removed; ${flag} must name another field`
        : operation === 'change'
          ? `${what} is the primary key (NOT NULL, indexed and unique already); ${flag} must name another field`
          : `${what} is the primary key; bg-scaffold does not rename primary keys`,
    );
  }
  if (field.django?.generic || field.fieldClass === 'GenericForeignKey') {
    fail(`${what} is a GenericForeignKey and has no column of its own (it reads two other fields): ${operation} it in the model by hand, no migration is needed`);
  }
  if (field.fieldClass === 'ManyToManyField' || field.column === '') {
    fail(`${what} is a many-to-many field and has no column; ${flag} must name a concrete field`);
  }
  const generic = model.fields.find((other) => other.django?.generic && [other.django.generic.contentTypeField, other.django.generic.objectIdField].includes(field.name));
  if (generic) {
    fail(`${what} is read by the GenericForeignKey ${model.name}.${generic.name}; take it out of that GenericForeignKey first`);
  }
  const inherited = field.inheritedFrom;
  if (inherited?.file) {
    fail(`${what} is declared in ${inherited.className} (${inherited.file}:${inherited.line}), a base class ${model.name} inherits; ${operation} it there, for every model that inherits it, or redeclare it on ${model.name} first`);
  }
  if (inherited) {
    fail(`${what} is declared in ${inherited.className}, outside the project, a base class ${model.name} inherits; redeclare it on ${model.name} first`);
  }
}
