/**
 * Project facts from Django's own report (introspect.ts): the models, fields, relations and Meta
 * that Django's app registry holds, joined with the source syntax tree-sitter reads at the files
 * and lines Django names, so that edits still land on exactly the lines the user wrote.
 * Pure: the files it needs are handed in as text.
 */
import path from 'node:path';
import { assertParses } from '../python/parser.js';
import { readClasses, resolveModels, type ClassSyntax, type FieldSyntax } from './models.js';
import type { DjangoRegistry, RegistryField, RegistryMeta, RegistryModel, SerializedValue } from './introspect.js';
import type { Database, DjangoField, DjangoFieldFacts, DjangoModel, DjangoModelFacts, SerializedSource } from './types.js';

/** Reads a project file's text (relative posix path), or null when it cannot. */
export type SourceReader = (relative: string) => string | null;

/** Parsed classes per file, each file parsed once. */
class SourceIndex {
  private readonly classes = new Map<string, ClassSyntax[]>();

  constructor(
    private readonly root: string,
    private readonly read: SourceReader,
  ) {}

  relative(file: string | null): string | null {
    if (!file) return null;
    const relative = path.relative(this.root, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
    return relative.split(path.sep).join('/');
  }

  classesOf(relative: string): ClassSyntax[] {
    let found = this.classes.get(relative);
    if (!found) {
      const source = this.read(relative);
      found = source === null ? [] : readClasses(source, assertParses(source, relative), relative);
      this.classes.set(relative, found);
    }
    return found;
  }

  /** The class written at `line` (the `class` line Django's inspect reports, or a decorator above it). */
  classAt(relative: string, name: string, line: number | null): ClassSyntax | null {
    const candidates = this.classesOf(relative).filter((cls) => cls.name === name);
    return candidates.find((cls) => line === null || cls.line === line || (cls.node.startPosition.row + 1 <= line && line <= cls.line)) ?? candidates[0] ?? null;
  }

  /** The field statement `name = ...` at `line` of a file. */
  fieldAt(relative: string, name: string, line: number): FieldSyntax | null {
    for (const cls of this.classesOf(relative)) {
      const found = cls.fields.find((syntax) => syntax.field.name === name && syntax.field.line === line);
      if (found) return found;
    }
    return null;
  }
}

const VENDORS: Record<string, Database> = { postgresql: 'postgresql', mysql: 'mysql', sqlite: 'sqlite' };

/** The database the loaded settings use, as bg-scaffold plans for it. */
export function databaseOfRegistry(registry: DjangoRegistry): Database | null {
  const vendor = registry.database.vendor ?? '';
  if (VENDORS[vendor]) return VENDORS[vendor]!;
  const engine = registry.database.engine ?? '';
  if (/postgres|postgis/.test(engine)) return 'postgresql';
  if (/mysql/.test(engine)) return 'mysql';
  if (/sqlite/.test(engine)) return 'sqlite';
  return null;
}

function splitLabel(dotted: string): { appLabel: string; modelName: string } {
  const at = dotted.indexOf('.');
  return { appLabel: dotted.slice(0, at), modelName: dotted.slice(at + 1) };
}

function fieldFacts(field: RegistryField, index: SourceIndex): DjangoFieldFacts {
  const definition = field.definition ?? { error: 'no definition reported' };
  const relation = field.relation ?? null;
  return {
    internalType: field.internalType ?? null,
    postgresType: field.pgType ?? null,
    migration:
      definition.error !== undefined || definition.callee === undefined
        ? { error: definition.error ?? 'no definition reported' }
        : { callee: definition.callee, args: definition.args ?? [], kwargs: definition.kwargs ?? [], imports: definition.imports ?? [] },
    target:
      relation && relation.column !== undefined
        ? { ...splitLabel(relation.model), table: relation.table, column: relation.column, toField: relation.toField ?? null }
        : null,
    relatedName: relation?.relatedName ?? null,
    generic: field.kind === 'generic' ? { contentTypeField: field.ctField ?? '', objectIdField: field.fkField ?? '' } : null,
  };
}

/**
 * One DjangoField: the syntax as written where the project declares it (for edits and the
 * source-level view), with every fact Django knows taking precedence over what the text suggests.
 */
function fieldFromRegistry(field: RegistryField, own: ClassSyntax | null, index: SourceIndex): DjangoField {
  const facts = fieldFacts(field, index);
  const declared = field.declaredIn;
  let syntax: FieldSyntax | null = null;
  if (declared?.model && own) syntax = own.fields.find((candidate) => candidate.field.name === field.name) ?? null;
  else if (declared) {
    const file = index.relative(declared.file);
    if (file) syntax = index.fieldAt(file, field.name, declared.line);
  }
  const migration = 'error' in facts.migration ? null : facts.migration;
  const written = syntax?.field;
  const relation = field.relation ?? null;
  return {
    name: field.name,
    fieldClass: field.class,
    callee: written?.callee ?? migration?.callee ?? field.class,
    column: field.column ?? '',
    args: written?.args ?? migration?.args ?? [],
    kwargs: written?.kwargs ?? Object.fromEntries(migration?.kwargs ?? []),
    nullable: field.null ?? false,
    unique: field.unique ?? false,
    primaryKey: field.primaryKey ?? false,
    dbIndex: field.dbIndex ?? false,
    defaultSource: written ? written.defaultSource : (field.default?.source ?? null),
    dbDefaultSource: written ? written.dbDefaultSource : (field.dbDefault?.source ?? null),
    relatedModel: written?.relatedModel ?? (relation ? `"${relation.model}"` : null),
    onDelete: relation?.onDelete ?? written?.onDelete ?? null,
    range: written?.range ?? { start: 0, end: 0 },
    line: written?.line ?? 0,
    endLine: written?.endLine ?? 0,
    inheritedFrom: declared && !declared.model ? { className: declared.class, file: index.relative(declared.file), line: declared.line } : null,
    django: facts,
  };
}

function modelFromRegistry(model: RegistryModel, index: SourceIndex): DjangoModel {
  const file = index.relative(model.file);
  const own = file ? index.classAt(file, model.name, model.line) : null;
  const autoPk = model.fields.find((f) => f.autoCreated && f.primaryKey) ?? null;
  const fields = model.fields.filter((f) => !(f.autoCreated && f.primaryKey)).map((f) => fieldFromRegistry(f, own, index));
  const pkField = model.fields.find((f) => f.primaryKey) ?? null;
  return {
    name: model.name,
    file: file ?? '',
    dbTable: model.dbTable,
    abstract: false,
    bases: own?.bases ?? model.bases,
    fields,
    methods: own?.methods ?? [],
    otherAttributes: own?.otherAttributes ?? [],
    objectsQuerySet: own?.objectsQuerySet ?? null,
    range: own ? { start: own.node.startIndex, end: own.node.endIndex } : { start: 0, end: 0 },
    line: own?.line ?? model.line ?? 0,
    bodyIndent: own?.bodyIndent ?? '    ',
    pkColumn: pkField?.column ?? 'id',
    django: {
      module: model.module,
      proxy: model.proxy,
      parents: model.parents,
      ownSave: model.ownSave,
      managers: model.managers.map((m) => ({ name: m.name, className: m.class, isDefault: m.default })),
      autoPk: autoPk ? { name: autoPk.name, column: autoPk.column ?? autoPk.name, postgresType: autoPk.pgType ?? null } : null,
      meta: {
        line: model.meta.line,
        ordering: model.meta.ordering,
        uniqueTogether: model.meta.uniqueTogether,
        indexes: model.meta.indexes.map((i) => ({ name: i.name, fields: i.fields, condition: i.condition, definition: serializedSource(i.definition) })),
        constraints: model.meta.constraints.map((c) => ({ name: c.name, type: c.type, fields: c.fields, condition: c.condition, definition: serializedSource(c.definition) })),
        getLatestBy: model.meta.getLatestBy,
        orderWithRespectTo: model.meta.orderWithRespectTo,
        indexTogether: model.meta.indexTogether ?? [],
        indexExpressions: Object.fromEntries(model.meta.indexes.map((i) => [i.name, i.expressions ?? []])),
        alterOptions: alterOptionsOf(model.meta),
      },
    },
  };
}

/**
 * The models of one installed app as Django has them, plus the abstract classes its model files
 * declare (Django's registry holds concrete models only; abstract ones are named in messages).
 */
export function appModelsFromRegistry(
  root: string,
  registry: DjangoRegistry,
  label: string,
  modelFiles: string[],
  read: SourceReader,
): DjangoModel[] {
  const index = new SourceIndex(root, read);
  const app = registry.apps.find((candidate) => candidate.label === label);
  const models = (app?.models ?? []).map((model) => modelFromRegistry(model, index));
  const known = new Set(models.map((model) => model.name));
  const classes = modelFiles.flatMap((file) => index.classesOf(file));
  const abstract = resolveModels(classes, label).filter((model) => model.abstract && !known.has(model.name));
  return [...models, ...abstract];
}

/** Models of installed apps outside the project: what relations may point at. */
export function externalModelsFromRegistry(root: string, registry: DjangoRegistry): Array<{ appLabel: string; model: DjangoModel }> {
  const index = new SourceIndex(root, () => null);
  return registry.apps
    .filter((app) => !app.inProject)
    .flatMap((app) => app.models.map((model) => ({ appLabel: app.label, model: modelFromRegistry(model, index) })));
}

function alterOptionsOf(meta: RegistryMeta): DjangoModelFacts['meta']['alterOptions'] {
  const options = meta.alterOptions;
  if (!options) return null;
  if ('error' in options && typeof options.error === 'string') return { error: options.error };
  const serialized: Record<string, { source: string; imports: string[] }> = {};
  for (const [key, value] of Object.entries(options as Record<string, SerializedValue>)) {
    if (value.error !== undefined || value.source === undefined) return { error: `${key}: ${value.error ?? 'not serialized'}` };
    serialized[key] = { source: value.source ?? '', imports: value.imports ?? [] };
  }
  return serialized;
}

function serializedSource(value: SerializedValue | undefined): SerializedSource | null {
  return value?.source !== undefined && value.error === undefined ? { source: value.source, imports: value.imports ?? [] } : null;
}
