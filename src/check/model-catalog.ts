/**
 * Which models the project's code declares, read statically: every class whose ancestry reaches
 * Django's `Model` (or that declares fields with `models.…Field(`), its app label, its fields
 * (inherited from abstract bases too), and the relations between models with the accessors they
 * create (`order.lines`, `line.order`, `<model>_set`) and the names lookups use (`lines__quantity`).
 * The attribution of references (attribution.ts) asks it which models a name can belong to.
 *
 * Read from the source, not from Django: models of installed packages outside the project are not
 * known, and models built at run time are not seen.
 */
import type { SyntaxNode } from '../python/parser.js';
import type { ProjectCode, PythonModule, PythonSymbol } from './project-code.js';

export interface RelationField {
  kind: 'fk' | 'o2o' | 'm2m';
  /** The concrete models the relation points at (empty when outside the project). */
  targets: string[];
}

export interface ModelClass {
  /** `path#Name`. */
  id: string;
  name: string;
  module: PythonModule;
  node: SyntaxNode;
  abstract: boolean;
  /** `Meta.app_label`, own or inherited from an abstract base. */
  appLabel: string | null;
  /** Fields declared in this class body. */
  ownFields: Map<string, SyntaxNode>;
  /** Methods, properties, class attributes and `self.x = …` attributes of this class body. */
  ownNames: Set<string>;
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

/** Names every model has: they say nothing about which model a value is. */
export const MODEL_API = new Set([
  'pk', 'id', 'objects', 'save', 'delete', 'full_clean', 'clean', 'clean_fields', 'validate_unique', 'refresh_from_db',
  'get_absolute_url', 'DoesNotExist', 'MultipleObjectsReturned', '_meta', '_state', '__str__', '__init__', '__repr__',
  'serializable_value', 'get_deferred_fields', 'from_db', 'save_base', 'asave', 'adelete', 'arefresh_from_db',
]);

const FIELD_CALLEE = /(?:Field|ForeignKey|OneToOneField|ManyToManyField|ForeignObject|GenericRelation)$/;
const RELATION_KIND: Array<[RegExp, RelationField['kind']]> = [
  [/ManyToManyField$/, 'm2m'],
  [/OneToOneField$/, 'o2o'],
  [/ForeignKey$|ForeignObject$/, 'fk'],
];

/** Whether a file may declare models: a models module, or text that declares fields. */
export function mayDeclareModels(path: string, source: string): boolean {
  if (path.endsWith('/models.py') || path === 'models.py' || path.includes('/models/')) return true;
  return source.includes('Field(') || source.includes('ForeignKey(') || source.includes('Model)') || source.includes('Model,');
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

  constructor(
    private readonly code: ProjectCode,
    candidatePaths: Iterable<string>,
    private readonly appLabelOf: (path: string) => string | null,
  ) {
    const read: ModelClass[] = [];
    for (const path of candidatePaths) {
      const module = code.module(path);
      if (module) for (const node of moduleClassNodes(module.root)) read.push(this.readClass(module, node));
    }
    for (const cls of read) this.classes.set(cls.id, cls);
    for (const cls of read) cls.bases = this.resolveBases(cls);
    for (const cls of read) cls.isModel = this.isModelClass(cls, new Set());
    for (const cls of read) if (cls.isModel && cls.appLabel === null) cls.appLabel = this.inheritedAppLabel(cls, new Set());
    this.buildModels(read.filter((cls) => cls.isModel));
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

  private readClass(module: PythonModule, node: SyntaxNode): ModelClass {
    const name = node.childForFieldName('name')?.text ?? '';
    const cls: ModelClass = {
      id: classId(module, node),
      name,
      module,
      node,
      abstract: false,
      appLabel: null,
      ownFields: new Map(),
      ownNames: new Set(),
      bases: [],
      isModel: false,
    };
    const body = node.childForFieldName('body');
    for (const statement of body?.namedChildren ?? []) {
      if (!statement) continue;
      const definition = statement.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
      if (definition?.type === 'class_definition' && definition.childForFieldName('name')?.text === 'Meta') {
        readMeta(definition, cls);
        continue;
      }
      if (definition?.type === 'function_definition') {
        const method = definition.childForFieldName('name')?.text;
        if (method) cls.ownNames.add(method);
        for (const attribute of selfAttributes(definition)) cls.ownNames.add(attribute);
        continue;
      }
      const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
      if (assignment?.type !== 'assignment') continue;
      const left = assignment.childForFieldName('left');
      const right = assignment.childForFieldName('right');
      if (left?.type !== 'identifier') continue;
      cls.ownNames.add(left.text);
      if (right?.type === 'call' && FIELD_CALLEE.test(calleeText(right))) cls.ownFields.set(left.text, right);
    }
    return cls;
  }

  private resolveBases(cls: ModelClass): ModelClass[] {
    const bases: ModelClass[] = [];
    for (const base of superclassNodes(cls.node)) {
      for (const symbol of this.code.resolveDotted(cls.module, base)) {
        const resolved = this.symbolClass(symbol);
        if (resolved && resolved.id !== cls.id) bases.push(resolved);
      }
    }
    return bases;
  }

  private symbolClass(symbol: PythonSymbol): ModelClass | null {
    if (symbol.kind !== 'class') return null;
    const id = classId(symbol.module, symbol.node);
    let cls = this.classes.get(id);
    if (!cls) {
      // A mixin or base in a file that declares no fields: read it too, for its names.
      cls = this.readClass(symbol.module, symbol.node);
      this.classes.set(id, cls);
      cls.bases = this.resolveBases(cls);
    }
    return cls;
  }

  private isModelClass(cls: ModelClass, seen: Set<string>): boolean {
    if (seen.has(cls.id)) return false;
    seen.add(cls.id);
    for (const base of superclassNodes(cls.node)) {
      for (const symbol of this.code.resolveDotted(cls.module, base)) {
        if (symbol.kind === 'external' && /(?:^|\.)models(?:\.base)?\.Model$/.test(symbol.dotted)) return true;
      }
      // `models.Model` with `models` unresolved (a vendored import the reader could not follow).
      if (base.text === 'models.Model') return true;
    }
    if (cls.bases.some((base) => this.isModelClass(base, seen))) return true;
    // No base says so, but the body declares model fields.
    return [...cls.ownFields.values()].some((call) => calleeText(call).startsWith('models.'));
  }

  private inheritedAppLabel(cls: ModelClass, seen: Set<string>): string | null {
    if (seen.has(cls.id)) return null;
    seen.add(cls.id);
    if (cls.appLabel) return cls.appLabel;
    const own = this.appLabelOf(cls.module.path);
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
    // Fields and forward relations.
    const reverse: Array<{ from: string; field: string; kind: RelationField['kind']; targets: string[]; relatedName: string | null; relatedQueryName: string | null }> = [];
    for (const model of this.models.values()) {
      for (const cls of model.classes) {
        for (const name of cls.ownNames) model.names.add(name);
        for (const [name, call] of cls.ownFields) {
          model.fields.add(name);
          const relation = RELATION_KIND.find(([pattern]) => pattern.test(calleeText(call)));
          if (!relation) continue;
          const targets = this.relationTargets(cls, call, model);
          model.relations.set(name, { kind: relation[1], targets });
          for (const target of targets) {
            model.accessors.set(name, { model: target, many: relation[1] === 'm2m' });
            model.lookupSteps.set(name, target);
          }
          const relatedName = keywordString(call, 'related_name');
          const relatedQueryName = keywordString(call, 'related_query_name');
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
  private relationTargets(cls: ModelClass, call: SyntaxNode, model: CatalogModel): string[] {
    const args = call.childForFieldName('arguments')?.namedChildren.filter((node) => node && node.type !== 'comment') ?? [];
    const to = args.find((node) => node?.type === 'keyword_argument' && node.childForFieldName('name')?.text === 'to')?.childForFieldName('value') ?? args.find((node) => node && node.type !== 'keyword_argument');
    if (!to) return [];
    if (to.type === 'string') {
      const text = plainString(to);
      const key = text === null ? null : this.modelNamed(text, model.app, model.key);
      return key ? [key] : [];
    }
    if (to.type === 'identifier' || to.type === 'attribute') {
      const found: string[] = [];
      for (const symbol of this.code.resolveDotted(cls.module, to)) {
        const target = this.symbolClass(symbol);
        if (target) found.push(...this.concreteModels(target));
        if (symbol.kind === 'value' && symbol.node.type === 'call') {
          // `Line = get_model("order", "Line")` then `ForeignKey(Line)`.
          const named = modelNamedByCall(symbol.node, this);
          if (named) found.push(named);
        }
      }
      if (found.length === 0 && to.type === 'identifier') {
        const key = this.modelNamed(to.text, model.app);
        if (key) found.push(key);
      }
      return [...new Set(found)];
    }
    return [];
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

/** Module-level classes, in if/try blocks too (oscar declares models inside `if not is_model_registered(...)`). */
function moduleClassNodes(root: SyntaxNode): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const visit = (block: SyntaxNode): void => {
    for (const statement of block.namedChildren) {
      if (!statement) continue;
      const definition = statement.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
      if (definition?.type === 'class_definition') found.push(definition);
      else if (['if_statement', 'try_statement', 'else_clause', 'elif_clause', 'except_clause', 'finally_clause', 'block', 'with_statement'].includes(statement.type)) {
        for (const child of statement.namedChildren) if (child && (child.type === 'block' || child.type.endsWith('_clause'))) visit(child);
        if (statement.type === 'block') visit(statement);
      }
    }
  };
  visit(root);
  return found;
}

function superclassNodes(cls: SyntaxNode): SyntaxNode[] {
  const list = cls.childForFieldName('superclasses');
  return (list?.namedChildren ?? []).filter((node): node is SyntaxNode => node !== null && (node.type === 'identifier' || node.type === 'attribute'));
}

function readMeta(meta: SyntaxNode, cls: ModelClass): void {
  for (const statement of meta.childForFieldName('body')?.namedChildren ?? []) {
    const assignment = statement?.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type !== 'assignment') continue;
    const name = assignment.childForFieldName('left')?.text;
    const value = assignment.childForFieldName('right');
    if (!value) continue;
    if (name === 'abstract') cls.abstract = value.text === 'True';
    if (name === 'app_label') cls.appLabel = plainString(value);
  }
}

/** `self.x = ...` targets anywhere in a method. */
function selfAttributes(method: SyntaxNode): string[] {
  const names: string[] = [];
  for (const assignment of method.descendantsOfType(['assignment', 'augmented_assignment'])) {
    const left = assignment?.childForFieldName('left');
    if (left?.type === 'attribute' && left.childForFieldName('object')?.text === 'self') {
      const name = left.childForFieldName('attribute')?.text;
      if (name) names.push(name);
    }
  }
  return names;
}

export function calleeText(call: SyntaxNode): string {
  return call.childForFieldName('function')?.text ?? '';
}

function keywordString(call: SyntaxNode, name: string): string | null {
  for (const argument of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (argument?.type === 'keyword_argument' && argument.childForFieldName('name')?.text === name) {
      const value = argument.childForFieldName('value');
      return value ? plainString(value) : null;
    }
  }
  return null;
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
