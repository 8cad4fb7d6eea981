/**
 * Which models the project's code declares, read statically: every class whose ancestry reaches
 * Django's `Model` (or that declares fields with `models.…Field(`), its app label, its fields
 * (inherited from abstract bases too), and the relations between models with the accessors they
 * create (`order.lines`, `line.order`, `<model>_set`) and the names lookups use (`lines__quantity`).
 * The attribution of references (attribution.ts) asks it which models a name can belong to.
 *
 * Read from the source, not from Django, and without parsing it (model-source.ts reads the class
 * bodies from the text): models of installed packages outside the project are not known, and
 * models built at run time are not seen.
 */
import type { SyntaxNode } from '../python/parser.js';
import { keywordStringIn, readModuleText, splitArguments, type ClassText, type FieldText, type ModuleText } from './model-source.js';
import type { ProjectCode, PythonModule, PythonSymbol } from './project-code.js';

export interface RelationField {
  kind: 'fk' | 'o2o' | 'm2m';
  /** The concrete models the relation points at (empty when outside the project). */
  targets: string[];
}

export interface ModelClass {
  /** `path#Name@start`, as `classId()` makes it from a parsed class. */
  id: string;
  name: string;
  path: string;
  /** Index of its `class` keyword in the file. */
  start: number;
  abstract: boolean;
  /** `Meta.app_label`, own or inherited from an abstract base. */
  appLabel: string | null;
  /** Fields declared in this class body. */
  ownFields: Map<string, FieldText>;
  /** Methods, properties, class attributes and `self.x = …` attributes of this class body. */
  ownNames: Set<string>;
  /** The bases as written. */
  baseTexts: string[];
  /** Resolved base classes that are in the project (models or mixins). */
  bases: ModelClass[];
  isModel: boolean;
}

/** A concrete model: `order.Line`. */
export interface CatalogModel {
  key: string;
  app: string;
  name: string;
  /** Its class and every ancestor class in the project (abstract models, mixins, MTI parents). */
  classes: ModelClass[];
  /** Fields, own and inherited. */
  fields: Set<string>;
  /** Relation fields by name (forward). */
  relations: Map<string, RelationField>;
  /** Attribute names that give related objects: forward relations and reverse accessors. */
  accessors: Map<string, { model: string; many: boolean }>;
  /** Names a lookup may step through: forward relation names and reverse query names. */
  lookupSteps: Map<string, string>;
  /** Every attribute name the code can use on an instance: fields, accessors, methods, properties, attributes. */
  names: Set<string>;
}

/**
 * A model of an installed app outside the project (django.contrib.auth's `User`, a package's), as
 * Django's registry reports it: its source is not the project's, so only Django can say it exists
 * and which names it has.
 */
export interface InstalledModel {
  /** `auth.User`. */
  key: string;
  app: string;
  name: string;
  /** The module of its class, `django.contrib.auth.models`, when known: how the project's imports name it. */
  module: string | null;
  fields: Array<{ name: string; relation: { kind: RelationField['kind']; target: string | null; relatedName: string | null } | null }>;
}

/** Names every model has: they say nothing about which model a value is. */
export const MODEL_API = new Set([
  'pk', 'id', 'objects', 'save', 'delete', 'full_clean', 'clean', 'clean_fields', 'validate_unique', 'refresh_from_db',
  'get_absolute_url', 'DoesNotExist', 'MultipleObjectsReturned', '_meta', '_state', '__str__', '__init__', '__repr__',
  'serializable_value', 'get_deferred_fields', 'from_db', 'save_base', 'asave', 'adelete', 'arefresh_from_db',
]);

const RELATION_KIND: Array<[RegExp, RelationField['kind']]> = [
  [/ManyToManyField$/, 'm2m'],
  [/OneToOneField$/, 'o2o'],
  [/ForeignKey$|ForeignObject$/, 'fk'],
];

/** A class-body line that declares a field: `    quantity = models.IntegerField(`, `    line = ForeignKey(`. */
const FIELD_LINE = /^[ \t]+\w+[ \t]*=[ \t]*[\w.]*(?:Field|ForeignKey|OneToOneField|ManyToManyField|ForeignObject)\(/m;

/**
 * Whether a file may declare models: an app's models module (`models.py`, or a module of a `models/`
 * package in an app folder, one with `apps.py` or `migrations/`), or a file with a class-body line
 * that declares a field. Only these are parsed to build the catalog.
 */
export function mayDeclareModels(path: string, source: string, isAppDir: (dir: string) => boolean): boolean {
  if (isModelsModulePath(path, isAppDir)) return true;
  return (source.includes('Field(') || source.includes('ForeignKey(')) && FIELD_LINE.test(source);
}

/** An app's models module, by its path alone: `models.py`, or a module of a `models/` package in an app folder. */
export function isModelsModulePath(path: string, isAppDir: (dir: string) => boolean): boolean {
  if (path.endsWith('/models.py') || path === 'models.py') return true;
  const parts = path.split('/');
  const at = parts.lastIndexOf('models');
  return at >= 0 && at < parts.length - 1 && isAppDir(parts.slice(0, at).join('/'));
}

export class ModelCatalog {
  readonly models = new Map<string, CatalogModel>();
  /** Every class read, by id. */
  private readonly classes = new Map<string, ModelClass>();
  /** Concrete model keys of a class and its descendants, by class id. */
  private readonly concreteOf = new Map<string, Set<string>>();
  private readonly byField = new Map<string, Set<string>>();
  private readonly byAccessor = new Map<string, Set<string>>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly byLowerKey = new Map<string, string>();
  /** Installed models by the dotted name of their class: `django.contrib.auth.models.User`. */
  private readonly installedByDotted = new Map<string, string>();

  private readonly texts = new Map<string, ModuleText | null>();

  constructor(
    private readonly code: ProjectCode,
    candidatePaths: Iterable<string>,
    private readonly appLabelOf: (path: string) => string | null,
    private readonly readSource: (path: string) => string | null,
    private readonly installed: InstalledModel[] = [],
  ) {
    const read: ModelClass[] = [];
    for (const path of candidatePaths) {
      // Django's own models (a vendored copy of Django) are not the project's: see ProjectCode.
      if (code.isDjangoPath(path)) continue;
      for (const text of this.moduleText(path)?.classes ?? []) read.push(this.classFromText(path, text));
    }
    for (const cls of read) this.classes.set(cls.id, cls);
    // Bases among the classes read, by name first; through the imports where two classes share the
    // name (three `AbstractLine`s).
    const byName = new Map<string, ModelClass[]>();
    for (const cls of read) byName.set(cls.name, [...(byName.get(cls.name) ?? []), cls]);
    for (const cls of read) cls.bases = this.readBases(cls, byName);
    for (const cls of read) cls.isModel = this.isModelClass(cls, new Set());
    // The models' other bases (mixins in files that declare no fields), for the names they give.
    for (const cls of read) if (cls.isModel) this.addMixins(cls);
    for (const cls of read) if (cls.isModel && cls.appLabel === null) cls.appLabel = this.inheritedAppLabel(cls, new Set());
    this.buildModels(read.filter((cls) => cls.isModel));
  }

  private moduleText(path: string): ModuleText | null {
    if (!this.texts.has(path)) {
      const source = this.code.paths.has(path) ? this.readSource(path) : null;
      this.texts.set(path, source === null ? null : readModuleText(source));
    }
    return this.texts.get(path)!;
  }

  private classFromText(path: string, text: ClassText): ModelClass {
    return {
      id: `${path}#${text.name}@${text.start}`,
      name: text.name,
      path,
      start: text.start,
      abstract: text.abstract,
      appLabel: text.appLabel,
      ownFields: new Map(text.fields.map((field) => [field.name, field])),
      ownNames: new Set(text.names),
      baseTexts: text.bases,
      bases: [],
      isModel: false,
    };
  }

  /** The class (parsed) of a model class, for what the attribution reads in its body. */
  classRef(cls: ModelClass): { module: PythonModule; node: SyntaxNode } | null {
    const module = this.code.module(cls.path);
    let node: SyntaxNode | null = module?.root.descendantForIndex(cls.start, cls.start + 5) ?? null;
    while (node && node.type !== 'class_definition') node = node.parent;
    return module && node ? { module, node } : null;
  }

  /**
   * A field the code no longer declares but still uses: a name a change took away is still the
   * model's for the attribution (otherwise `order.quantity` would look like another model's).
   */
  addGoneField(key: string, name: string): void {
    const model = this.models.get(key);
    if (!model || model.fields.has(name)) return;
    model.fields.add(name);
    model.names.add(name);
    add(this.byField, name, key);
    add(this.byName, name, key);
  }

  /** The project class a symbol names, when it is one this catalog read. */
  classOf(symbol: PythonSymbol): ModelClass | null {
    if (symbol.kind !== 'class') return null;
    return this.classes.get(classId(symbol.module, symbol.node)) ?? null;
  }

  /** The installed model a name imported into the module names: `User` after `from django.contrib.auth.models import User`. */
  private installedImport(path: string, name: string): string | null {
    const imported = this.moduleText(path)?.imports.get(name);
    if (!imported?.name || imported.module.startsWith('.')) return null;
    return this.installedModelAt(`${imported.module}.${imported.name}`);
  }

  /** The installed model a dotted name outside the project names (`django.contrib.auth.models.User`), or null. */
  installedModelAt(dotted: string): string | null {
    return this.installedByDotted.get(dotted) ?? null;
  }

  /** Concrete models a class stands for: itself when concrete, and its concrete descendants. */
  concreteModels(cls: ModelClass): string[] {
    return [...(this.concreteOf.get(cls.id) ?? [])];
  }

  /** Concrete models whose class is, or descends from, the class node in that module. */
  concreteModelsOfNode(module: PythonModule, node: SyntaxNode): string[] {
    return [...(this.concreteOf.get(classId(module, node)) ?? [])];
  }

  model(key: string): CatalogModel | undefined {
    return this.models.get(key);
  }

  /** Models with a field `name` (own or inherited). */
  modelsWithField(name: string): string[] {
    return [...(this.byField.get(name) ?? [])];
  }

  /**
   * The model whose table holds `field` of model `key`: the concrete ancestor that declares it (a
   * multi-table child or a proxy reads its parent's column), else the model itself (a field of an
   * abstract base is each concrete subclass's own).
   */
  fieldOwner(key: string, field: string): string {
    const model = this.models.get(key);
    const declaring = model?.classes.find((cls) => cls.ownFields.has(field));
    if (!declaring || declaring.abstract || !declaring.appLabel) return key;
    const owner = `${declaring.appLabel}.${declaring.name}`;
    return this.models.has(owner) ? owner : key;
  }

  /** Models where `name` is an accessor to related objects: what `x.<name>` gives, per owner. */
  accessorTargets(name: string): Array<{ owner: string; model: string; many: boolean }> {
    return [...(this.byAccessor.get(name) ?? [])].map((owner) => ({ owner, ...this.models.get(owner)!.accessors.get(name)! }));
  }

  /** Models that have `name` as any attribute (field, accessor, method, property). */
  modelsWithName(name: string): string[] {
    return [...(this.byName.get(name) ?? [])];
  }

  /** `order.Line`, `Line` (in `app`), `self`: the concrete model a string names (Django matches the name case-insensitively). */
  modelNamed(text: string, app: string | null, self: string | null = null): string | null {
    if (text === 'self') return self;
    const [label, name] = text.includes('.') ? text.split('.', 2) : [app, text];
    if (!label || !name) return null;
    return this.byLowerKey.get(`${label}.${name.toLowerCase()}`) ?? null;
  }

  /** The classes read that a class's bases name: by name when one class has it, else through the imports. */
  private readBases(cls: ModelClass, byName: Map<string, ModelClass[]>): ModelClass[] {
    const bases: ModelClass[] = [];
    for (const base of cls.baseTexts) {
      const named = (byName.get(lastPart(base)) ?? []).filter((other) => other.id !== cls.id);
      if (named.length === 1) bases.push(named[0]!);
      else if (named.length > 1) {
        const resolved = this.resolveClass(cls.path, base, 0);
        bases.push(...named.filter((other) => resolved?.id === other.id));
      }
    }
    return bases;
  }

  /** Bases of a model that are not among the classes read (mixins), followed through the imports. */
  private addMixins(cls: ModelClass): void {
    for (const base of cls.baseTexts) {
      if (isDjangoModel(base) || cls.bases.some((known) => known.name === lastPart(base))) continue;
      const resolved = this.resolveClass(cls.path, base, 0);
      if (resolved && resolved.id !== cls.id && !cls.bases.includes(resolved)) cls.bases.push(resolved);
    }
  }

  /** The class a dotted name (`AbstractLine`, `abstract_models.AbstractLine`) names in a module, through its imports. */
  private resolveClass(path: string, dotted: string, depth: number): ModelClass | null {
    if (depth > 10) return null;
    const text = this.moduleText(path);
    if (!text) return null;
    const [head, ...rest] = dotted.split('.');
    if (rest.length === 0) {
      const own = text.classes.find((c) => c.name === head);
      if (own) return this.classes.get(`${path}#${own.name}@${own.start}`) ?? this.remember(path, own);
    }
    const imported = text.imports.get(head!);
    if (imported) {
      const module = this.code.absoluteImport(path, imported.module);
      if (module === null) return null;
      if (imported.name === null) {
        // import a.b as c; c.Name
        const target = this.code.pathOf(rest.length > 1 ? `${module}.${rest.slice(0, -1).join('.')}` : module);
        return target && rest.length > 0 ? this.resolveClass(target, rest[rest.length - 1]!, depth + 1) : null;
      }
      const target = this.code.pathOf(module);
      if (target && rest.length === 0) return this.resolveClass(target, imported.name, depth + 1);
      // from package import module; module.Name
      const submodule = this.code.pathOf(`${module}.${imported.name}`);
      return submodule && rest.length > 0 ? this.resolveClass(submodule, rest.join('.'), depth + 1) : null;
    }
    if (rest.length > 0) return null;
    for (const star of text.starImports) {
      const module = this.code.absoluteImport(path, star);
      const target = module === null ? null : this.code.pathOf(module);
      const found = target ? this.resolveClass(target, head!, depth + 1) : null;
      if (found) return found;
    }
    return null;
  }

  private remember(path: string, text: ClassText): ModelClass {
    const cls = this.classFromText(path, text);
    this.classes.set(cls.id, cls);
    return cls;
  }

  private isModelClass(cls: ModelClass, seen: Set<string>): boolean {
    if (seen.has(cls.id)) return false;
    seen.add(cls.id);
    if (cls.baseTexts.some((base) => isDjangoModel(base) && this.namesDjangoModel(cls.path, base))) return true;
    if (cls.bases.some((base) => this.isModelClass(base, seen))) return true;
    // No base says so, but the body declares model fields.
    return [...cls.ownFields.values()].some((field) => field.callee.startsWith('models.'));
  }

  /** `models.Model` or `Model`, unless the module's own `Model` is something else. */
  private namesDjangoModel(path: string, base: string): boolean {
    if (base !== 'Model') return true;
    const imported = this.moduleText(path)?.imports.get('Model');
    return !imported || /(?:^|\.)models(?:\.base)?$/.test(imported.module);
  }

  private inheritedAppLabel(cls: ModelClass, seen: Set<string>): string | null {
    if (seen.has(cls.id)) return null;
    seen.add(cls.id);
    if (cls.appLabel) return cls.appLabel;
    const own = this.appLabelOf(cls.path);
    if (own && !cls.abstract) return own;
    for (const base of cls.bases) {
      const label = this.inheritedAppLabel(base, seen);
      if (label) return label;
    }
    return own;
  }

  private buildModels(modelClasses: ModelClass[]): void {
    const ancestorsOf = (cls: ModelClass): ModelClass[] => {
      const found: ModelClass[] = [];
      const visit = (c: ModelClass): void => {
        if (found.includes(c)) return;
        found.push(c);
        for (const base of c.bases) visit(base);
      };
      visit(cls);
      return found;
    };
    const concrete = modelClasses.filter((cls) => !cls.abstract && cls.appLabel);
    for (const cls of concrete) {
      const key = `${cls.appLabel}.${cls.name}`;
      if (this.models.has(key)) {
        // Declared twice (an app and its fork, or if/else): one model, both classes.
        const existing = this.models.get(key)!;
        for (const ancestor of ancestorsOf(cls)) if (!existing.classes.includes(ancestor)) existing.classes.push(ancestor);
      } else {
        this.models.set(key, {
          key,
          app: cls.appLabel!,
          name: cls.name,
          classes: ancestorsOf(cls),
          fields: new Set(),
          relations: new Map(),
          accessors: new Map(),
          lookupSteps: new Map(),
          names: new Set(),
        });
        this.byLowerKey.set(`${cls.appLabel}.${cls.name.toLowerCase()}`, key);
      }
      for (const ancestor of ancestorsOf(cls)) {
        const set = this.concreteOf.get(ancestor.id) ?? new Set<string>();
        set.add(key);
        this.concreteOf.set(ancestor.id, set);
      }
    }
    // Installed apps' models, unless the project's source declares them too (a vendored copy).
    const installed = this.installed.filter((model) => !this.models.has(model.key));
    for (const model of installed) {
      this.models.set(model.key, { key: model.key, app: model.app, name: model.name, classes: [], fields: new Set(), relations: new Map(), accessors: new Map(), lookupSteps: new Map(), names: new Set() });
      this.byLowerKey.set(`${model.app}.${model.name.toLowerCase()}`, model.key);
      if (model.module) this.installedByDotted.set(`${model.module}.${model.name}`, model.key);
    }
    // Fields and forward relations.
    const reverse: Array<{ from: string; field: string; kind: RelationField['kind']; targets: string[]; relatedName: string | null; relatedQueryName: string | null }> = [];
    for (const { key, fields } of installed) {
      const model = this.models.get(key)!;
      for (const { name, relation } of fields) {
        model.fields.add(name);
        if (!relation) continue;
        const target = relation.target ? this.modelNamed(relation.target, null) : null;
        const targets = target ? [target] : [];
        model.relations.set(name, { kind: relation.kind, targets });
        for (const target of targets) {
          model.accessors.set(name, { model: target, many: relation.kind === 'm2m' });
          model.lookupSteps.set(name, target);
        }
        reverse.push({ from: key, field: name, kind: relation.kind, targets, relatedName: relation.relatedName, relatedQueryName: null });
      }
    }
    for (const model of this.models.values()) {
      for (const cls of model.classes) {
        for (const name of cls.ownNames) model.names.add(name);
        for (const [name, field] of cls.ownFields) {
          model.fields.add(name);
          const relation = RELATION_KIND.find(([pattern]) => pattern.test(field.callee));
          if (!relation) continue;
          const targets = this.relationTargets(cls, field, model);
          model.relations.set(name, { kind: relation[1], targets });
          for (const target of targets) {
            model.accessors.set(name, { model: target, many: relation[1] === 'm2m' });
            model.lookupSteps.set(name, target);
          }
          const relatedName = keywordStringIn(field.args, 'related_name');
          const relatedQueryName = keywordStringIn(field.args, 'related_query_name');
          reverse.push({ from: model.key, field: name, kind: relation[1], targets, relatedName, relatedQueryName });
        }
      }
    }
    // Reverse accessors: `order.lines` (related_name) or `order.line_set`; lookups `lines__…` or `line__…`.
    for (const relation of reverse) {
      const from = this.models.get(relation.from)!;
      const lower = from.name.toLowerCase();
      const fill = (text: string): string => text.replace(/%\(class\)s/g, lower).replace(/%\(app_label\)s/g, from.app.toLowerCase());
      const relatedName = relation.relatedName === null ? null : fill(relation.relatedName);
      if (relatedName?.endsWith('+')) continue;
      const accessor = relatedName ?? (relation.kind === 'o2o' ? lower : `${lower}_set`);
      const queryName = relation.relatedQueryName ? fill(relation.relatedQueryName) : (relatedName ?? lower);
      for (const target of relation.targets) {
        const model = this.models.get(target);
        if (!model) continue;
        model.accessors.set(accessor, { model: from.key, many: relation.kind !== 'o2o' });
        model.lookupSteps.set(queryName, from.key);
        model.names.add(accessor);
      }
    }
    for (const model of this.models.values()) {
      for (const name of model.fields) add(this.byField, name, model.key);
      for (const name of model.accessors.keys()) add(this.byAccessor, name, model.key);
      for (const name of model.names) add(this.byName, name, model.key);
      for (const name of model.fields) add(this.byName, name, model.key);
    }
  }

  /** The concrete models a relation field's first argument (or `to=`) names. */
  private relationTargets(cls: ModelClass, field: FieldText, model: CatalogModel): string[] {
    const args = splitArguments(field.args);
    const to = args.find((arg) => /^to\s*=/.test(arg))?.replace(/^to\s*=\s*/, '') ?? args.find((arg) => !/^\w+\s*=/.test(arg));
    if (!to) return [];
    const string = /^[rbuRBU]?(["'])(.*)\1$/s.exec(to);
    if (string) {
      const key = this.modelNamed(string[2]!, model.app, model.key);
      return key ? [key] : [];
    }
    if (!/^[A-Za-z_][\w.]*$/.test(to)) return [];
    // `Line = get_model("order", "Line")` then `ForeignKey(Line)`.
    const assigned = this.moduleText(cls.path)?.assignments.get(to);
    const loaded = assigned ? /^[\w.]+\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']/.exec(assigned) : null;
    if (loaded) {
      const key = this.modelNamed(`${loaded[1]}.${loaded[2]}`, null);
      return key ? [key] : [];
    }
    const target = this.resolveClass(cls.path, to, 0);
    if (target) return this.concreteModels(target);
    const installed = this.installedImport(cls.path, to);
    if (installed) return [installed];
    const key = this.modelNamed(lastPart(to), model.app);
    return key ? [key] : [];
  }
}

function add(map: Map<string, Set<string>>, name: string, key: string): void {
  const set = map.get(name);
  if (set) set.add(key);
  else map.set(name, new Set([key]));
}

export function classId(module: PythonModule, node: SyntaxNode): string {
  return `${module.path}#${node.childForFieldName('name')?.text ?? ''}@${node.startIndex}`;
}


function lastPart(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf('.') + 1);
}

/** A base written as Django's model class: `models.Model`, `Model`, `django.db.models.Model`. */
function isDjangoModel(base: string): boolean {
  return base === 'Model' || /(?:^|\.)models\.Model$/.test(base);
}




export function calleeText(call: SyntaxNode): string {
  return call.childForFieldName('function')?.text ?? '';
}


/** The text of a plain string literal (no interpolation), else null. */
export function plainString(node: SyntaxNode): string | null {
  if (node.type !== 'string') return null;
  let value = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') return null;
    if (child.type === 'string_content' || child.type === 'escape_sequence') value += child.text;
  }
  return value;
}

/**
 * A call that names a model by its app label and class name, as Django's `apps.get_model("order",
 * "Line")` and loaders built like it (`get_model`, `get_class`) do; also `get_model("order.Line")`.
 */
export function modelNamedByCall(call: SyntaxNode, catalog: ModelCatalog): string | null {
  const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((node): node is SyntaxNode => node !== null && node.type === 'string');
  if (args.length === 0) return null;
  const strings = args.map(plainString);
  if (strings.length >= 2 && strings[0] && strings[1]) {
    const label = strings[0].split('.')[0]!;
    return catalog.modelNamed(`${label}.${strings[1]}`, null);
  }
  if (strings.length === 1 && strings[0]?.includes('.')) return catalog.modelNamed(strings[0], null);
  return null;
}
