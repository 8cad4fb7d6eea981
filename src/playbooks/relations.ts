/**
 * Foreign keys between models, as remove-column and drop-table need them: which table a relation
 * points at, which models point at a model, and what the database must do on delete to keep the
 * promise of the previous release's Python `on_delete`.
 */
import { fail } from '../errors.js';
import type { DjangoApp, DjangoField, DjangoModel } from '../project/types.js';
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

/**
 * What the database must do on delete so that code without the field keeps the previous release's
 * promise: CASCADE and SET_NULL become ON DELETE actions; PROTECT, RESTRICT and DO_NOTHING a plain
 * constraint, which refuses to orphan rows (at COMMIT, as Django's own does).
 */
export function databaseOnDelete(field: DjangoField, model: DjangoModel): DatabaseOnDelete {
  const onDelete = onDeleteOf(field);
  switch (onDelete) {
    case 'CASCADE':
      return 'CASCADE';
    case 'SET_NULL':
      return 'SET NULL';
    case 'PROTECT':
    case 'RESTRICT':
    case 'DO_NOTHING':
      return 'NO ACTION';
    default:
      fail(
        `${model.name}.${field.name} has on_delete=${onDelete ?? '(not found)'}, which bg-scaffold cannot carry over to a database constraint ` +
          `(it knows CASCADE, SET_NULL, PROTECT, RESTRICT and DO_NOTHING); change on_delete first, or remove the field by hand`,
      );
  }
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
