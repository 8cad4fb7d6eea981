/**
 * Where a model's Meta names a field (DESIGN §1: Django refers to fields by name in Meta). A rename
 * or removal that leaves such a name behind fails `manage.py check` (models.E015, E012) or makes
 * `makemigrations --check` find changes; and DROP COLUMN silently drops the composite indexes and
 * constraints that include the column. Pure: read from the facts Django reported.
 */
import { fail } from '../../errors.js';
import type { DjangoField, DjangoModel, DjangoModelFacts } from '../../project/types.js';
import { isRelation } from './django-fields.js';
import { pythonString } from './python-literals.js';
import { q } from './sql.js';

export type MetaOption =
  | 'ordering'
  | 'get_latest_by'
  | 'order_with_respect_to'
  | 'unique_together'
  | 'index_together'
  | 'indexes'
  | 'constraints';

export interface MetaReference {
  option: MetaOption;
  /** The entry as a reader finds it in Meta: `"-due_back"`, `("author", "title")`, an index's name. */
  entry: string;
}

/** The names a Meta entry may use for the field: its name, and `<name>_id` for a foreign key. */
function namesOf(field: DjangoField): string[] {
  return isRelation(field) ? [field.name, `${field.name}_id`] : [field.name];
}

/** `-due_back`, `due_back__year`, `?` … : whether the lookup path starts at one of `names`. */
function pathStartsAt(path: string, names: string[]): boolean {
  const bare = path.replace(/^[-+]/, '');
  return names.some((name) => bare === name || bare.startsWith(`${name}__`));
}

/** Whether Django's printed form of a Q or expression (`(AND: ('due_back__gte', F(lent_on)))`) names the field. */
function printedExpressionNames(text: string, names: string[]): boolean {
  return names.some((name) => new RegExp(`'${name}(?:__\\w*)?'|F\\(${name}(?:__\\w*)?\\)`).test(text));
}

/**
 * Every Meta entry of `model` that names `field`, or null when Django was not asked (the static
 * reading does not know Meta).
 */
export function metaReferences(model: DjangoModel, field: DjangoField): MetaReference[] | null {
  const meta = model.django?.meta;
  if (!meta) return null;
  const names = namesOf(field);
  const together = (group: string[]) => `(${group.map(pythonString).join(', ')})`;
  const references: MetaReference[] = [];
  for (const entry of meta.ordering) {
    if (pathStartsAt(entry, names) || printedExpressionNames(entry, names)) references.push({ option: 'ordering', entry: pythonString(entry) });
  }
  for (const entry of latestByPaths(meta)) {
    if (pathStartsAt(entry, names)) references.push({ option: 'get_latest_by', entry: pythonString(entry) });
  }
  if (meta.orderWithRespectTo !== null && names.includes(meta.orderWithRespectTo)) {
    references.push({ option: 'order_with_respect_to', entry: pythonString(meta.orderWithRespectTo) });
  }
  for (const group of meta.uniqueTogether) {
    if (group.some((name) => names.includes(name))) references.push({ option: 'unique_together', entry: together(group) });
  }
  for (const group of meta.indexTogether ?? []) {
    if (group.some((name) => names.includes(name))) references.push({ option: 'index_together', entry: together(group) });
  }
  for (const index of meta.indexes) {
    const expressions = meta.indexExpressions?.[index.name] ?? [];
    if (
      index.fields.some((path) => pathStartsAt(path, names)) ||
      expressions.some((text) => printedExpressionNames(text, names)) ||
      (index.condition !== null && printedExpressionNames(index.condition, names))
    ) {
      references.push({ option: 'indexes', entry: index.name });
    }
  }
  for (const constraint of meta.constraints) {
    if (
      constraint.fields.some((name) => names.includes(name)) ||
      (constraint.condition !== null && printedExpressionNames(constraint.condition, names))
    ) {
      references.push({ option: 'constraints', entry: constraint.name });
    }
  }
  return references;
}

/** `Meta.ordering "due_back"; Meta.constraints library_loan_due_after_lent` */
export function describeReferences(references: MetaReference[]): string {
  return references.map((reference) => `Meta.${reference.option} ${reference.entry}`).join('; ');
}

/**
 * The Meta references of the field; without Django's facts, none, unless the Meta text may name the
 * field: that is refused, since only Django can say.
 */
function knownMetaReferences(model: DjangoModel, field: DjangoField): MetaReference[] {
  const references = metaReferences(model, field);
  if (references !== null) return references;
  if (namedInMetaText(model, field)) {
    fail(`${model.name}.${field.name} may be named in ${model.name}'s Meta, which bg-scaffold reads only through Django; run it with the project's Python (--python, or BG_PYTHON)`);
  }
  return [];
}

/** `get_latest_by`, a name or a list of names, as a list. */
function latestByPaths(meta: DjangoModelFacts['meta']): string[] {
  return meta.getLatestBy === null ? [] : typeof meta.getLatestBy === 'string' ? [meta.getLatestBy] : meta.getLatestBy;
}

/** Meta options whose references a plan rewrites without touching the database. */
const RENAMED_IN_STATE: ReadonlySet<MetaOption> = new Set(['ordering', 'get_latest_by']);
/** Options Django's RenameField rewrites in its state itself; the column must keep its name. */
const RENAMED_BY_RENAMEFIELD: ReadonlySet<MetaOption> = new Set(['unique_together', 'index_together']);

/**
 * The Meta references a rename rewrites (ordering, get_latest_by; `*_together` too when the column
 * keeps its name; a plain index when the plan rebuilds it on the new column), refusing in one line
 * the ones it cannot: any other index or constraint would have to be rebuilt on the new column
 * before the old one goes, which the plans do not do yet.
 */
export function metaReferencesToRename(model: DjangoModel, field: DjangoField, keepsColumn: boolean, rebuildsPlainIndexes = false): MetaReference[] {
  const references = knownMetaReferences(model, field);
  const what = `${model.name}.${field.name}`;
  // With the column's name kept, an index or constraint stays as it is in the database: only its
  // definition in Django's state changes (RemoveIndex/AddIndex there), which needs Django's spelling of it.
  const restatable = (reference: MetaReference) =>
    (reference.option === 'indexes' || reference.option === 'constraints') && definitionOf(model, reference) !== null;
  const rebuilt = (reference: MetaReference) => rebuildsPlainIndexes && plainIndexOf(model, reference) !== null;
  const unsupported = references.filter(
    (reference) =>
      !RENAMED_IN_STATE.has(reference.option) && !rebuilt(reference) && !(keepsColumn && (RENAMED_BY_RENAMEFIELD.has(reference.option) || restatable(reference))),
  );
  if (unsupported.length > 0) {
    const namesKept = unsupported.every((reference) => RENAMED_BY_RENAMEFIELD.has(reference.option) || restatable(reference));
    fail(
      namesKept
        ? `${what} is named in ${describeReferences(unsupported)} of ${model.name}: a new column would need ${unsupported.length > 1 ? 'them' : 'it'} rebuilt, which bg-scaffold does not do yet; use --strategy db-column (the column keeps its name and no SQL runs)`
        : `${what} is named in ${describeReferences(unsupported)} of ${model.name}, which Django could not write into a migration; rename it by hand (makemigrations), or leave the field's name`,
    );
  }
  if (references.some((reference) => RENAMED_IN_STATE.has(reference.option)) && !hasAlterOptions(model)) {
    const error = model.django?.meta.alterOptions;
    fail(`${what} is named in ${describeReferences(references)} of ${model.name}, but Django could not report the model's options${error && 'error' in error ? ` (${error.error})` : ''}; rename it by hand (makemigrations)`);
  }
  return references;
}

/**
 * A `Meta.indexes` entry on plain fields (`-name` for descending), or a `UniqueConstraint` on plain
 * fields (`unique`): what a plan can build again on a new column, or drop explicitly.
 */
export interface PlainIndex {
  name: string;
  fields: string[];
  unique: boolean;
}

/** Django's spelling of an index or unique constraint with nothing but fields and a name. */
const PLAIN_INDEX_SOURCE = /^models\.Index\(\s*fields=[[(][^\])]*[\])],\s*name=(['"])[^'"]+\1,?\s*\)$/;
const PLAIN_UNIQUE_SOURCE = /^models\.UniqueConstraint\(\s*fields=[[(][^\])]*[\])],\s*name=(['"])[^'"]+\1,?\s*\)$/;

/**
 * The index or unique constraint a reference names, when it is a plain one (no condition,
 * expression, opclass, include or deferral).
 */
export function plainIndexOf(model: DjangoModel, reference: MetaReference): PlainIndex | null {
  const meta = model.django?.meta;
  if (reference.option === 'constraints') {
    const constraint = meta?.constraints.find((entry) => entry.name === reference.entry);
    if (!constraint || constraint.condition !== null || !constraint.definition) return null;
    return PLAIN_UNIQUE_SOURCE.test(constraint.definition.source.trim()) ? { name: constraint.name, fields: constraint.fields, unique: true } : null;
  }
  if (reference.option !== 'indexes') return null;
  const index = meta?.indexes.find((entry) => entry.name === reference.entry);
  if (!index || index.condition !== null || (meta?.indexExpressions?.[index.name] ?? []).length > 0) return null;
  return index.definition && PLAIN_INDEX_SOURCE.test(index.definition.source.trim()) ? { name: index.name, fields: index.fields, unique: false } : null;
}

/**
 * A removal: the plain `Meta.indexes` entries that name the field go with it, explicitly (the plan
 * takes each out of Meta and Django's state with the field, and drops it CONCURRENTLY before the
 * column, where DROP COLUMN would drop it silently). Every other Meta reference is refused, naming
 * it: what the project should order or constrain by instead is the developer's call, made in a
 * migration of its own first. `explicitDrops` false (other databases): indexes are refused too.
 */
export function indexesRemovedWithField(model: DjangoModel, field: DjangoField, explicitDrops: boolean): PlainIndex[] {
  const references = knownMetaReferences(model, field);
  const what = `${model.name}.${field.name}`;
  // A unique constraint is refused: once the field is gone, what stays unique is the developer's call.
  const handled = (reference: MetaReference) => {
    const index = explicitDrops ? plainIndexOf(model, reference) : null;
    return index && !index.unique ? index : null;
  };
  const refused = references.filter((reference) => handled(reference) === null);
  if (refused.length > 0) {
    const columnGoes = refused.some((reference) => ['unique_together', 'index_together', 'indexes', 'constraints'].includes(reference.option));
    fail(
      `${what} is named in ${describeReferences(refused)} of ${model.name}: take it out of Meta first and ship that migration (makemigrations${columnGoes ? '; build a replacement index or constraint CONCURRENTLY if the table still needs one, since DROP COLUMN drops the ones that include the column' : ''}), then remove the field`,
    );
  }
  return references.map((reference) => handled(reference)!);
}

/**
 * The columns of a plain index as SQL lists them (`"site_id", "u_height" DESC`), in its order;
 * `renamed` puts a new column in place of one field's.
 */
export function indexColumnsSql(model: DjangoModel, index: PlainIndex, renamed?: { field: string; column: string }): string {
  const columns = index.fields.map((entry) => {
    const name = entry.replace(/^-/, '');
    const field = model.fields.find((f) => f.name === name || (isRelation(f) && `${f.name}_id` === name));
    if (!field) fail(`${model.name}'s Meta index ${index.name} names "${name}", which is not a field of ${model.name}; fix the index first`);
    const column = renamed && field.name === renamed.field ? renamed.column : field.column;
    return `${q(column)}${entry.startsWith('-') ? ' DESC' : ''}`;
  });
  return columns.join(', ');
}

/** Django's spelling of the index or constraint a reference names, or null. */
export function definitionOf(model: DjangoModel, reference: MetaReference): { source: string; imports: string[] } | null {
  const meta = model.django?.meta;
  if (!meta) return null;
  const entries = reference.option === 'indexes' ? meta.indexes : reference.option === 'constraints' ? meta.constraints : [];
  return entries.find((entry) => entry.name === reference.entry)?.definition ?? null;
}

function hasAlterOptions(model: DjangoModel): boolean {
  const options = model.django?.meta.alterOptions;
  return !!options && !('error' in options);
}

/** Without Django: whether the model's class text has a Meta whose body quotes the field's name. */
function namedInMetaText(model: DjangoModel, field: DjangoField): boolean {
  const text = model.metaText ?? '';
  return namesOf(field).some((name) => new RegExp(`["']-?${name}(?:__\\w*)?["']|\\b${name}(?:__\\w*)?\\s*=`).test(text));
}

/**
 * Other models' Meta entries that reach the field through a relation (`ordering = ["book__title"]`
 * on Loan for Book.title): Django checks those paths too (models.E015), and a plan rewrites only the
 * model's own Meta, so a rename or removal refuses them, naming each. Read from Django's facts; the
 * static reading does not know where relations point well enough to say.
 */
export function refuseRelatedMetaReferences(
  model: DjangoModel,
  field: DjangoField,
  appLabel: string,
  apps: Array<{ label: string; models: DjangoModel[] }>,
  verb: 'rename' | 'remove',
): void {
  const found: string[] = [];
  for (const app of apps) {
    for (const other of app.models) {
      const meta = other.django?.meta;
      if (!meta) continue;
      const paths = [
        ...meta.ordering.map((entry) => ['ordering', entry] as const),
        ...latestByPaths(meta).map((entry) => ['get_latest_by', entry] as const),
      ];
      for (const [option, entry] of paths) {
        const [first, second] = entry.replace(/^[-+]/, '').split('__');
        const relation = other.fields.find((f) => f.name === first)?.django?.target;
        if (!relation || second === undefined) continue;
        if (relation.appLabel === appLabel && relation.modelName === model.name && second === field.name) {
          found.push(`Meta.${option} ${pythonString(entry)} of ${app.label}.${other.name}`);
        }
      }
    }
  }
  if (found.length > 0) {
    fail(`${model.name}.${field.name} is named through a relation in ${found.join('; ')}: change ${found.length > 1 ? 'those' : 'that'} first (makemigrations), then ${verb} the field`);
  }
}
