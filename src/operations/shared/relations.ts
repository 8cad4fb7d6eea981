/**
 * Foreign keys between models, as remove-column and drop-table need them: which table a relation
 * points at, which models point at a model, and what the database must do on delete to keep the
 * promise of the previous release's Python `on_delete`.
 */
import { fail } from '../../errors.js';
import type { DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { isRelation } from './django-fields.js';

/** The table and primary key column a relation points at. */
export interface RelationTarget {
  appLabel: string;
  /** Class name as written in the target app (`Customer`), or Django's for contrib models. */
  modelName: string;
  /** The target model when the project defines it. */
  model: DjangoModel | null;
  table: string;
  column: string;
}

/** ON DELETE actions a replacement constraint can take (`replace-foreign-key`). */
export type DatabaseOnDelete = 'CASCADE' | 'SET NULL' | 'NO ACTION';

/**
 * What the database must do on delete so that code without the field keeps the promise of a Django
 * `on_delete` handler: CASCADE and SET_NULL become ON DELETE actions; PROTECT, RESTRICT and
 * DO_NOTHING a plain constraint, which refuses to orphan rows (at COMMIT, as Django's own does).
 * Null for a handler it cannot carry over (SET_DEFAULT, SET(...), a function of the project's).
 */
export function onDeleteSql(handler: string | null): DatabaseOnDelete | null {
  switch (handler) {
    case 'CASCADE':
      return 'CASCADE';
    case 'SET_NULL':
      return 'SET NULL';
    case 'PROTECT':
    case 'RESTRICT':
    case 'DO_NOTHING':
      return 'NO ACTION';
    default:
      return null;
  }
}

/** Django's contrib models that projects point at, by `app.model` in lower case. */
const CONTRIB_TABLES: Record<string, { modelName: string; table: string }> = {
  'auth.user': { modelName: 'User', table: 'auth_user' },
  'auth.group': { modelName: 'Group', table: 'auth_group' },
  'auth.permission': { modelName: 'Permission', table: 'auth_permission' },
  'contenttypes.contenttype': { modelName: 'ContentType', table: 'django_content_type' },
  'sites.site': { modelName: 'Site', table: 'django_site' },
};

function lastName(text: string): string {
  return text.split('.').pop()!;
}

/**
 * The model a relation names: `{ label: "shop", name: "Customer" }` for `"shop.Customer"`, or for
 * `Customer` and `"Customer"` in app shop. A class reference (`Customer`) may be imported from
 * another app: `exact` is false then. Null for what cannot be read.
 */
export function relationTargetName(field: DjangoField, appLabel: string, ownModel: string): { label: string; name: string; exact: boolean } | null {
  const source = (field.relatedModel ?? '').trim();
  if (source === '') return null;
  if (source === 'settings.AUTH_USER_MODEL') return { label: 'auth', name: 'User', exact: false };
  const quoted = /^["'](.+)["']$/.exec(source);
  const target = quoted ? quoted[1]! : source;
  if (target === 'self') return { label: appLabel, name: ownModel, exact: true };
  if (quoted) {
    if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/.test(target)) return null;
    const parts = target.split('.');
    return parts.length === 2 ? { label: parts[0]!, name: parts[1]!, exact: true } : { label: appLabel, name: target, exact: true };
  }
  if (!/^[A-Za-z_][\w.]*$/.test(target)) return null;
  return { label: appLabel, name: lastName(target), exact: false };
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function findTargetModel(apps: DjangoApp[], target: { label: string; name: string; exact: boolean }): { label: string; model: DjangoModel } | null {
  const inApp = apps.find((a) => a.label === target.label)?.models.find((m) => sameName(m.name, target.name));
  if (inApp) return { label: target.label, model: inApp };
  if (target.exact) return null;
  // A class imported from another app: the one model of that name, if there is only one.
  const matches = apps.flatMap((a) => a.models.filter((m) => sameName(m.name, target.name)).map((model) => ({ label: a.label, model })));
  return matches.length === 1 ? matches[0]! : null;
}

/** Where `model.field` points: its table and primary key column. Fails when it cannot be found. */
export function resolveRelationTarget(field: DjangoField, model: DjangoModel, appLabel: string, apps: DjangoApp[]): RelationTarget {
  const resolved = field.django?.target;
  if (resolved) {
    // Django resolved it: imported classes, other apps' and contrib models, to_field, swappable models.
    const target = apps.find((a) => a.label === resolved.appLabel)?.models.find((m) => m.name === resolved.modelName) ?? null;
    return { appLabel: resolved.appLabel, modelName: resolved.modelName, model: target, table: resolved.table, column: resolved.column };
  }
  const name = relationTargetName(field, appLabel, model.name);
  const what = `${model.name}.${field.name}`;
  if (!name) fail(`cannot tell which model ${what} points at (${field.relatedModel ?? 'no target'}); bg-scaffold needs its table for the foreign key`);
  const found = field.relatedModel?.trim() === 'settings.AUTH_USER_MODEL' ? null : findTargetModel(apps, name);
  if (found) {
    if (found.model.abstract) fail(`${what} points at the abstract model ${found.model.name}, which has no table`);
    const pk = found.model.fields.find((f) => f.primaryKey);
    return { appLabel: found.label, modelName: found.model.name, model: found.model, table: found.model.dbTable, column: pk?.column ?? 'id' };
  }
  // settings.AUTH_USER_MODEL with a custom user model in the project.
  if (field.relatedModel?.trim() === 'settings.AUTH_USER_MODEL') {
    const custom = apps.flatMap((a) => a.models.map((m) => [a, m] as const)).find(([, m]) => !m.abstract && m.bases.some((b) => /Abstract(Base)?User$/.test(b)));
    if (custom) {
      const pk = custom[1].fields.find((f) => f.primaryKey);
      return { appLabel: custom[0].label, modelName: custom[1].name, model: custom[1], table: custom[1].dbTable, column: pk?.column ?? 'id' };
    }
  }
  const contrib =
    CONTRIB_TABLES[`${name.label}.${name.name}`.toLowerCase()] ??
    // A class imported from django.contrib (`ContentType`), named without its app.
    (name.exact ? undefined : Object.entries(CONTRIB_TABLES).find(([, known]) => known.modelName === name.name)?.[1]);
  if (contrib) {
    const label = Object.entries(CONTRIB_TABLES).find(([, known]) => known === contrib)![0].split('.')[0]!;
    return { appLabel: label, modelName: contrib.modelName, model: null, table: contrib.table, column: 'id' };
  }
  fail(
    `cannot find the model ${name.exact ? `"${name.label}.${name.name}"` : name.name} that ${what} points at, reading the source without Django; ` +
      `run bg-scaffold with the project's Python (--python, or BG_PYTHON) so that Django resolves it`,
  );
}

/** The `on_delete` of a relation as written (`CASCADE`), from the keyword or the second positional argument. */
export function onDeleteOf(field: DjangoField): string | null {
  if (field.onDelete) return field.onDelete;
  const positional = field.args[1];
  if (!positional) return null;
  const handler = positional.trim().replace(/\(.*$/s, '');
  return lastName(handler);
}

/** The ON DELETE action of the field's database constraint once the previous release's `on_delete` is gone (onDeleteSql). */
export function databaseOnDelete(field: DjangoField, model: DjangoModel): DatabaseOnDelete {
  const onDelete = onDeleteOf(field);
  const action = onDeleteSql(onDelete);
  if (action === null) {
    fail(
      `${model.name}.${field.name} has on_delete=${onDelete ?? '(not found)'}, which bg-scaffold cannot carry over to a database constraint ` +
        `(it knows CASCADE, SET_NULL, PROTECT, RESTRICT and DO_NOTHING); change on_delete first, or remove the field by hand`,
    );
  }
  return action;
}

/** True when Django created a FOREIGN KEY constraint for the field (no `db_constraint=False`). */
export function hasDatabaseConstraint(field: DjangoField): boolean {
  return isRelation(field) && field.kwargs.db_constraint?.trim() !== 'False';
}

/** A relation field of another model that points at `target`. */
export interface IncomingRelation {
  appLabel: string;
  model: DjangoModel;
  field: DjangoField;
}

/** Every relation (foreign key, one-to-one, many-to-many) of another concrete model that points at `target`. */
export function incomingRelations(target: DjangoModel, targetApp: string, apps: DjangoApp[]): IncomingRelation[] {
  const found: IncomingRelation[] = [];
  for (const app of apps) {
    for (const model of app.models) {
      if (model.abstract || (app.label === targetApp && model.name === target.name)) continue;
      for (const field of model.fields) {
        if (field.relatedModel === null) continue;
        const resolved = field.django?.target;
        if (resolved) {
          if (resolved.appLabel === targetApp && resolved.modelName === target.name) found.push({ appLabel: app.label, model, field });
          continue;
        }
        const name = relationTargetName(field, app.label, model.name);
        const points = name && sameName(name.name, target.name) && (name.label === targetApp || (!name.exact && findTargetModel(apps, name)?.label === targetApp));
        if (points) found.push({ appLabel: app.label, model, field });
      }
    }
  }
  return found;
}

/**
 * The relations whose key is `field` of `target` (a `to_field`): renaming or removing the field
 * would leave them pointing at nothing (fields.E312). A primary key is not asked about here.
 */
export function relationsKeyedOn(target: DjangoModel, field: DjangoField, targetApp: string, apps: DjangoApp[]): IncomingRelation[] {
  const own = target.fields.map((f) => ({ appLabel: targetApp, model: target, field: f }));
  return [...incomingRelations(target, targetApp, apps), ...own].filter(({ field: relation }) => {
    if (relation.relatedModel === null || relation === field) return false;
    const resolved = relation.django?.target;
    if (resolved) return resolved.appLabel === targetApp && resolved.modelName === target.name && resolved.toField !== null && resolved.column === field.column;
    // Read statically: a to_field naming the field, on a relation to this model or to "self".
    const toField = /^(['"])(.*)\1$/.exec(relation.kwargs.to_field ?? '')?.[2];
    const name = relationTargetName(relation, targetApp, target.name);
    return toField === field.name && !!name && sameName(name.name, target.name);
  });
}

/** Refuses to rename or remove a field another relation uses as its key, naming the relation. */
export function requireNotRelationKey(target: DjangoModel, field: DjangoField, targetApp: string, apps: DjangoApp[], verb: 'renamed' | 'removed'): void {
  const keyed = relationsKeyedOn(target, field, targetApp, apps);
  if (keyed.length === 0) return;
  const names = keyed.map((r) => `${r.appLabel}.${r.model.name}.${r.field.name}`).join(', ');
  fail(`${target.name}.${field.name} is the key (to_field) of ${names}: it cannot be ${verb} while a relation points at it; point ${keyed.length > 1 ? 'them' : 'it'} at another field first (makemigrations), or leave ${target.name}.${field.name}`);
}

/** A model and the app it belongs to. */
export interface ModelInApp {
  appLabel: string;
  model: DjangoModel;
}

/**
 * The project models `model` inherits from, nearest first: abstract bases and, for a
 * multi-table-inheritance child, its concrete parents (whose fields it has, in their own tables).
 * `direct`: reached without passing through a concrete parent (whose parent link is the child's own).
 */
export function ancestorsOf(model: DjangoModel, appLabel: string, apps: DjangoApp[]): Array<ModelInApp & { concrete: boolean; direct: boolean }> {
  const found: Array<ModelInApp & { concrete: boolean; direct: boolean }> = [];
  const visit = (child: DjangoModel, label: string, direct: boolean) => {
    const parents = child.django?.parents ?? [];
    for (const base of child.bases) {
      const name = lastName(base);
      const exact = parents.find((dotted) => lastName(dotted) === name);
      const target = exact ? { label: exact.split('.')[0]!, name, exact: true } : { label, name, exact: false };
      const parent = findTargetModel(apps, target);
      if (!parent || parent.model === child || found.some((known) => known.model === parent.model)) continue;
      // Django names a model's concrete parents; without Django, a base that is a concrete model is one.
      const concrete = !parent.model.abstract && !child.django?.proxy && (child.django ? exact !== undefined : true);
      found.push({ appLabel: parent.label, model: parent.model, concrete, direct });
      visit(parent.model, parent.label, direct && !concrete);
    }
  };
  visit(model, appLabel, true);
  return found;
}

/** A name Django gives `target` for a relation that points at it (fields.E302 / E303 if a field takes it). */
export interface ReverseName {
  name: string;
  /** `accessor`: `customer.orders`; `query`: `Customer.objects.filter(orders__...)`. */
  kind: 'accessor' | 'query';
  /** The relation, `shop.Order.customer`, or the child of multi-table inheritance, `library.EBook`. */
  from: string;
}

/** A string literal as written in a keyword argument (`"orders"`, `'orders'`), or null for anything else. */
function literal(source: string | undefined): string | null {
  const match = source === undefined ? null : /^\s*(["'])([^"'\\]*)\1\s*$/.exec(source);
  return match ? match[2]! : null;
}

/**
 * The reverse accessors and reverse query names that relations of the project's models (and, when
 * Django was asked, of installed apps) give `target`: `related_name`, else `<model>_set` for a
 * foreign key or many-to-many and `<model>` for a one-to-one; the query name is
 * `related_query_name`, else `related_name`, else `<model>`. Hidden ones (ending in `+`) are left out,
 * as are relations whose names cannot be read without Django.
 */
export function reverseNames(target: DjangoModel, targetApp: string, apps: DjangoApp[]): ReverseName[] {
  const names: ReverseName[] = [];
  for (const app of apps) {
    for (const model of app.models) {
      if (model.abstract) continue;
      const modelName = model.name.toLowerCase();
      const format = (name: string) => name.replace(/%\(class\)s|%\(model_name\)s/g, modelName).replace(/%\(app_label\)s/g, app.label.toLowerCase());
      const isTarget = app.label === targetApp && model.name === target.name;
      for (const field of model.fields) {
        if (field.relatedModel === null && !field.django?.target) continue;
        const kind = field.django?.internalType ?? field.fieldClass;
        const many = /ManyToManyField$/.test(kind);
        const oneToOne = /OneToOneField$/.test(kind);
        if (!many && !oneToOne && !/ForeignKey$/.test(kind)) continue;
        const resolved = field.django?.target;
        let points: boolean;
        if (resolved) points = resolved.appLabel === targetApp && resolved.modelName === target.name;
        else {
          const name = relationTargetName(field, app.label, model.name);
          points = !!name && sameName(name.name, target.name) && (name.label === targetApp || (!name.exact && findTargetModel(apps, name)?.label === targetApp));
        }
        if (!points) continue;
        // A many-to-many to its own model is symmetrical unless told otherwise: no reverse names.
        if (many && isTarget && field.kwargs.symmetrical?.trim() !== 'False') continue;
        const writtenName = field.kwargs.related_name;
        const relatedName = field.django ? field.django.relatedName : writtenName === undefined ? null : literal(writtenName);
        if (relatedName === null && writtenName !== undefined && !field.django) continue; // not a literal: unknown
        const writtenQuery = field.kwargs.related_query_name;
        const queryName = writtenQuery === undefined ? null : literal(writtenQuery);
        if (queryName === null && writtenQuery !== undefined) continue;
        const from = `${app.label}.${model.name}.${field.name}`;
        const accessor = relatedName !== null ? format(relatedName) : oneToOne ? modelName : `${modelName}_set`;
        if (!accessor.endsWith('+')) names.push({ name: accessor, kind: 'accessor', from });
        const query = queryName !== null ? format(queryName) : relatedName !== null ? format(relatedName) : modelName;
        if (!query.endsWith('+') && query !== accessor) names.push({ name: query, kind: 'query', from });
      }
      // A child of multi-table inheritance reaches its parent through a one-to-one Django adds.
      if (!isTarget && !model.django?.proxy && ancestorsOf(model, app.label, apps).some((a) => a.concrete && a.direct && a.appLabel === targetApp && a.model.name === target.name)) {
        names.push({ name: modelName, kind: 'accessor', from: `${app.label}.${model.name}` });
      }
    }
  }
  return names;
}
