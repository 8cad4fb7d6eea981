/**
 * What a Python expression holds, as far as the code says it with Django models: an instance of a
 * model, a queryset (or manager, or related manager) of a model, a model class, an instance of a
 * project class (a view, a form, an admin), a list or tuple of those, a plain value, or unknown.
 *
 * Followed: `Model.objects…` chains and what is assigned from them, iteration (`for`,
 * comprehensions, `zip`, `enumerate`), relations (`line.order`, `order.lines`), `self` in a model
 * and its subclasses, `self.x = …` attributes, method and function return values, parameter
 * annotations, defaults and the arguments at their call sites in the same module, `get_model(app,
 * name)`-style loaders, generic views' `object` / `get_object()` / `get_queryset()`, forms'
 * `instance`, factories' `Meta.model`. Not followed: anything computed at run time.
 *
 * Where the code says nothing, a variable is narrowed by what the code does with it (duck typing):
 * the attributes and methods used on it that only some models have, then its name when it is a
 * model's (`order` for Order). Inference is flow-insensitive: every assignment to a name counts.
 */
import type { SyntaxNode } from '../python/parser.js';
import { calleeText, classId, MODEL_API, modelNamedByCall, plainString, type ModelCatalog, type ModelClass } from './model-catalog.js';
import type { ProjectCode, PythonModule, PythonSymbol } from './project-code.js';

export type Atom =
  | { k: 'instance'; model: string }
  | { k: 'queryset'; model: string }
  | { k: 'modelclass'; model: string }
  /** An instance of a project class that is not a model (a view, a form, an admin, a service). */
  | { k: 'object'; cls: ClassRef }
  /** A project class that is not a model. */
  | { k: 'class'; cls: ClassRef }
  | { k: 'function'; module: PythonModule; node: SyntaxNode }
  | { k: 'list'; of: Type }
  | { k: 'tuple'; items: Type[] }
  /** A value that is not a model's: a literal, a number, None, a dict. */
  | { k: 'value' }
  | { k: 'unknown' };

export interface ClassRef {
  module: PythonModule;
  node: SyntaxNode;
}

export type Type = Atom[];

export const UNKNOWN: Type = [{ k: 'unknown' }];
export const VALUE: Type = [{ k: 'value' }];

/** QuerySet methods that return a queryset of the same model. */
const QUERYSET_METHODS = new Set([
  'all', 'filter', 'exclude', 'order_by', 'select_related', 'prefetch_related', 'distinct', 'annotate', 'alias',
  'select_for_update', 'using', 'defer', 'only', 'none', 'reverse', 'union', 'intersection', 'difference', 'get_queryset',
  'iterator', 'extra', 'complex_filter', 'filter_by',
  // Rows as dicts or tuples, but still a queryset of the model for the methods chained after them.
  'values', 'values_list',
]);
/** QuerySet methods that return one instance. */
const INSTANCE_METHODS = new Set(['get', 'first', 'last', 'latest', 'earliest', 'create', 'aget', 'afirst', 'alast', 'acreate', 'alatest', 'aearliest']);
const PAIR_METHODS = new Set(['get_or_create', 'update_or_create', 'aget_or_create', 'aupdate_or_create']);
const VALUE_METHODS = new Set(['count', 'exists', 'update', 'delete', 'aggregate', 'in_bulk', 'contains', 'explain', 'acount', 'aexists', 'aupdate', 'adelete', 'aaggregate']);
/** Class attributes that are a model's managers when nothing else says so. */
const MANAGER_NAMES = new Set(['objects', '_default_manager', '_base_manager']);
const ITERABLE_BUILTINS = new Set(['list', 'sorted', 'reversed', 'tuple', 'set', 'frozenset', 'iter']);
const VALUE_BUILTINS = new Set(['len', 'str', 'int', 'float', 'bool', 'dict', 'repr', 'sum', 'any', 'all', 'isinstance', 'hasattr', 'format', 'round', 'abs', 'print', 'range', 'Decimal', 'D']);

const MAX_DEPTH = 40;

function key(atom: Atom, depth = 0): string {
  switch (atom.k) {
    case 'instance':
    case 'queryset':
    case 'modelclass':
      return `${atom.k}:${atom.model}`;
    case 'object':
    case 'class':
      // A class's start is its identity in its module (classId's name would cross into wasm).
      return `${atom.k}:${atom.cls.module.path}@${atom.cls.node.startIndex}`;
    case 'function':
      return `function:${atom.module.path}:${atom.node.startIndex}`;
    case 'list':
      return depth > 3 ? 'list' : `list(${atom.of.map((a) => key(a, depth + 1)).join('|')})`;
    case 'tuple':
      return depth > 3 ? 'tuple' : `tuple(${atom.items.map((t) => t.map((a) => key(a, depth + 1)).join('|')).join(',')})`;
    default:
      return atom.k;
  }
}

export function union(...types: Type[]): Type {
  const seen = new Map<string, Atom>();
  for (const type of types) {
    for (const atom of type) {
      const id = key(atom);
      if (!seen.has(id)) seen.set(id, atom);
    }
  }
  return [...seen.values()];
}

export function isUnknown(type: Type): boolean {
  return type.length === 0 || type.every((atom) => atom.k === 'unknown');
}

/** Instances of concrete models, by key. */
export function instanceModels(type: Type): string[] {
  return [...new Set(type.filter((atom): atom is { k: 'instance'; model: string } => atom.k === 'instance').map((atom) => atom.model))];
}

/** Models of querysets and model classes (what lookups and field paths are relative to). */
export function querysetModels(type: Type): string[] {
  return [...new Set(type.flatMap((atom) => (atom.k === 'queryset' || atom.k === 'modelclass' ? [atom.model] : [])))];
}

/** The elements an iteration over a value of this type yields. */
export function elementOf(type: Type): Type {
  return union(
    ...type.map((atom): Type => {
      if (atom.k === 'queryset') return [{ k: 'instance', model: atom.model }];
      if (atom.k === 'list') return atom.of;
      if (atom.k === 'tuple') return union(...atom.items);
      return UNKNOWN;
    }),
  );
}

function itemOf(type: Type, index: number): Type {
  return union(
    ...type.map((atom): Type => {
      if (atom.k === 'tuple') return atom.items[index] ?? UNKNOWN;
      if (atom.k === 'list') return atom.of;
      if (atom.k === 'queryset') return [{ k: 'instance', model: atom.model }];
      return UNKNOWN;
    }),
  );
}

/** `snake_case` of a class name: `ShippingEvent` → `shipping_event`. */
export function snakeName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** What a class binds, by name (see TypeEvaluator.classMembers). */
interface ClassMembers {
  /** `name = value` in the body: the last one's value (null for `name: T` alone). */
  assigned: Map<string, SyntaxNode | null>;
  /** `name: T` in the body and `self.name: T = …` in the methods, in source order. */
  annotations: Map<string, SyntaxNode[]>;
  /** The first method of each name. */
  methods: Map<string, SyntaxNode>;
  /** The values of `self.name = value` in the methods, in source order. */
  selfAssigned: Map<string, SyntaxNode[]>;
}

/** A local binding of a name in a function (or lambda, or module) body. */
type LocalBinding =
  | { kind: 'assign'; value: SyntaxNode; path: number[] }
  | { kind: 'for'; iterable: SyntaxNode; path: number[] }
  | { kind: 'with'; value: SyntaxNode }
  | { kind: 'append'; value: SyntaxNode }
  | { kind: 'extend'; value: SyntaxNode }
  /** `name: Order = ...` or `name: Order` */
  | { kind: 'annotated'; annotation: SyntaxNode }
  | { kind: 'opaque' };

export class TypeEvaluator {
  private readonly memo = new Map<string, Type>();
  private readonly inProgress = new Set<string>();
  private readonly locals = new Map<string, Map<string, LocalBinding[]>>();
  private readonly callsByName = new Map<string, Map<string, SyntaxNode[]>>();
  private readonly usedNames = new Map<string, Map<string, Set<string>>>();
  private readonly registrations = new Map<string, SyntaxNode[]>();
  private readonly members = new Map<string, ClassMembers>();
  private readonly loaded = new Map<string, ClassRef | null>();
  private depth = 0;

  constructor(
    readonly code: ProjectCode,
    readonly catalog: ModelCatalog,
  ) {}

  /** The type of an expression node of `module`. */
  typeOf(module: PythonModule, node: SyntaxNode): Type {
    const memoKey = `${module.path}:${node.id}`;
    const cached = this.memo.get(memoKey);
    if (cached) return cached;
    if (this.inProgress.has(memoKey) || this.depth > MAX_DEPTH) return [];
    this.inProgress.add(memoKey);
    this.depth++;
    let type: Type;
    try {
      type = this.evaluate(module, node);
    } finally {
      this.depth--;
      this.inProgress.delete(memoKey);
    }
    this.memo.set(memoKey, type);
    return type;
  }

  private evaluate(module: PythonModule, node: SyntaxNode): Type {
    switch (node.type) {
      case 'identifier':
        return this.identifier(module, node);
      case 'attribute': {
        const object = node.childForFieldName('object');
        const name = node.childForFieldName('attribute')?.text;
        if (!object || !name) return UNKNOWN;
        const symbols = this.symbolsOf(module, node);
        if (symbols.length > 0) return union(...symbols.map((symbol) => this.symbolType(symbol)));
        const type = this.attribute(this.typeOf(module, object), name, module);
        const scope = enclosingFunctionOrModule(node);
        return scope && object.type !== 'call' ? this.narrow(module, scope, name, type, node.text) : type;
      }
      case 'call':
        return this.call(module, node);
      case 'subscript': {
        const value = node.childForFieldName('value');
        const index = node.childForFieldName('subscript');
        if (!value) return UNKNOWN;
        const base = this.typeOf(module, value);
        if (index?.type === 'slice') return union(...base.map((atom): Type => (atom.k === 'queryset' || atom.k === 'list' ? [atom] : UNKNOWN)));
        if (index?.type === 'integer') return itemOf(base, Number(index.text));
        return union(...base.map((atom): Type => (atom.k === 'queryset' ? [{ k: 'instance', model: atom.model }] : atom.k === 'list' ? atom.of : UNKNOWN)));
      }
      case 'parenthesized_expression':
      case 'await': {
        const inner = node.namedChildren.find((child) => child && child.type !== 'comment');
        return inner ? this.typeOf(module, inner) : UNKNOWN;
      }
      case 'conditional_expression': {
        const [a, , c] = node.namedChildren;
        return union(a ? this.typeOf(module, a) : UNKNOWN, c ? this.typeOf(module, c) : UNKNOWN);
      }
      case 'boolean_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        return union(left ? this.typeOf(module, left) : UNKNOWN, right ? this.typeOf(module, right) : UNKNOWN);
      }
      case 'binary_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const operator = node.childForFieldName('operator')?.text;
        if (operator !== '+' && operator !== '|' && operator !== '&') return VALUE;
        const both = union(left ? this.typeOf(module, left) : [], right ? this.typeOf(module, right) : []);
        const collections = both.filter((atom) => atom.k === 'list' || atom.k === 'queryset');
        return collections.length > 0 ? collections : VALUE;
      }
      case 'named_expression': {
        const value = node.childForFieldName('value');
        return value ? this.typeOf(module, value) : UNKNOWN;
      }
      case 'list':
      case 'set':
        return [{ k: 'list', of: union(...node.namedChildren.filter(isExpression).map((item) => this.typeOf(module, item!))) }];
      case 'tuple':
      case 'expression_list':
        return [{ k: 'tuple', items: node.namedChildren.filter(isExpression).map((item) => this.typeOf(module, item!)) }];
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression': {
        const body = node.childForFieldName('body');
        return [{ k: 'list', of: body ? this.typeOf(module, body) : UNKNOWN }];
      }
      case 'string':
      case 'concatenated_string':
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
      case 'dictionary':
      case 'dictionary_comprehension':
      case 'comparison_operator':
      case 'not_operator':
      case 'unary_operator':
        return VALUE;
      default:
        return UNKNOWN;
    }
  }

  // ---- names ---------------------------------------------------------------------------------

  private identifier(module: PythonModule, node: SyntaxNode): Type {
    const name = node.text;
    if (name === 'None' || name === 'True' || name === 'False') return VALUE;
    let inFunction = false;
    for (let scope = node.parent, child: SyntaxNode = node; scope; child = scope, scope = scope.parent) {
      switch (scope.type) {
        case 'list_comprehension':
        case 'set_comprehension':
        case 'generator_expression':
        case 'dictionary_comprehension': {
          const found = this.comprehensionBinding(module, scope, child, name);
          if (found) return this.narrow(module, scope, name, found);
          break;
        }
        case 'lambda': {
          const parameters = scope.childForFieldName('parameters');
          if (parameters && parameterNames(parameters).includes(name)) return this.lambdaParameter(module, scope, name);
          inFunction = true;
          break;
        }
        case 'function_definition': {
          const bound = this.functionBinding(module, scope, name);
          if (bound) return this.narrow(module, scope, name, bound);
          inFunction = true;
          break;
        }
        case 'class_definition': {
          // Directly in a class body (not in a method): the class's own assignments.
          if (!inFunction) {
            const value = classAssignment(scope, name);
            if (value && value.id !== child.id) return this.typeOf(module, value);
          }
          break;
        }
        case 'module': {
          const symbols = this.code.resolve(module, name);
          if (symbols.length > 0) return union(...symbols.map((symbol) => this.symbolType(symbol)));
          const bindings = this.localBindings(module, scope).get(name);
          if (bindings) return this.narrow(module, scope, name, this.bindingsType(module, bindings));
          return UNKNOWN;
        }
      }
    }
    return UNKNOWN;
  }

  /** The symbols a dotted name rooted in a module import names: `models.Model`, `admin.site`. */
  private symbolsOf(module: PythonModule, node: SyntaxNode): PythonSymbol[] {
    let root = node;
    while (root.type === 'attribute') root = root.childForFieldName('object')!;
    if (root.type !== 'identifier' || this.isLocal(module, root)) return [];
    if (!this.code.resolve(module, root.text).some((symbol) => symbol.kind === 'module')) return [];
    return this.code.resolveDotted(module, node);
  }

  /** Whether an identifier is bound in an enclosing function or comprehension (not at module level). */
  private isLocal(module: PythonModule, node: SyntaxNode): boolean {
    for (let scope = node.parent; scope; scope = scope.parent) {
      if (scope.type === 'function_definition') {
        if (this.functionBinding(module, scope, node.text, true)) return true;
      } else if (scope.type === 'lambda') {
        const parameters = scope.childForFieldName('parameters');
        if (parameters && parameterNames(parameters).includes(node.text)) return true;
      }
    }
    return false;
  }

  symbolType(symbol: PythonSymbol): Type {
    switch (symbol.kind) {
      case 'class': {
        const cls = this.catalog.classOf(symbol) ?? null;
        if (cls?.isModel) return this.catalog.concreteModels(cls).map((model) => ({ k: 'modelclass', model }) as Atom);
        return [{ k: 'class', cls: { module: symbol.module, node: symbol.node } }];
      }
      case 'function':
        return [{ k: 'function', module: symbol.module, node: symbol.node }];
      case 'value': {
        const type = this.typeOf(symbol.module, symbol.node);
        return symbol.index === undefined ? type : itemOf(type, symbol.index);
      }
      case 'external': {
        // An installed app's model, imported by the project: `from django.contrib.auth.models import User`.
        const model = this.catalog.installedModelAt(symbol.dotted);
        return model ? [{ k: 'modelclass', model }] : UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  private comprehensionBinding(module: PythonModule, comprehension: SyntaxNode, from: SyntaxNode, name: string): Type | null {
    for (const clause of comprehension.namedChildren) {
      if (clause?.type !== 'for_in_clause') continue;
      const left = clause.childForFieldName('left');
      const right = clause.childForFieldName('right');
      if (!left || !right) continue;
      // The first clause's iterable is evaluated outside the comprehension.
      if (from.id === right.id) continue;
      const path = patternPath(left, name);
      if (path) return followPath(elementOf(this.typeOf(module, right)), path);
    }
    return null;
  }

  private lambdaParameter(module: PythonModule, lambda: SyntaxNode, name: string): Type {
    // factory.LazyAttribute(lambda obj: ...) in a class configured for a model: obj is the instance built.
    const cls = enclosingClassBody(lambda);
    const parameters = parameterNames(lambda.childForFieldName('parameters')!);
    if (cls && parameters[0] === name) {
      const models = this.configuredModels({ module, node: cls });
      if (models.length > 0) return models.map((model) => ({ k: 'instance', model }) as Atom);
    }
    return UNKNOWN;
  }

  /** The type of `name` when the function binds it (a parameter or a local), else null. */
  private functionBinding(module: PythonModule, fn: SyntaxNode, name: string, onlyAsk = false): Type | null {
    const parameters = fn.childForFieldName('parameters');
    const names = parameters ? parameterNames(parameters) : [];
    const bindings = this.localBindings(module, fn).get(name);
    const isParameter = names.includes(name);
    if (!isParameter && !bindings) return null;
    if (onlyAsk) return [];
    const types: Type[] = [];
    if (isParameter) types.push(this.parameterType(module, fn, name, names.indexOf(name)));
    if (bindings) types.push(this.bindingsType(module, bindings));
    return union(...types);
  }

  private bindingsType(module: PythonModule, bindings: LocalBinding[]): Type {
    return union(
      ...bindings.map((binding): Type => {
        switch (binding.kind) {
          case 'assign':
            return followPath(this.typeOf(module, binding.value), binding.path);
          case 'for':
            return followPath(elementOf(this.typeOf(module, binding.iterable)), binding.path);
          case 'with':
            return this.typeOf(module, binding.value);
          case 'append':
            return [{ k: 'list', of: this.typeOf(module, binding.value) }];
          case 'extend':
            return [{ k: 'list', of: elementOf(this.typeOf(module, binding.value)) }];
          case 'annotated':
            return this.annotationType(module, binding.annotation);
          default:
            return UNKNOWN;
        }
      }),
    );
  }

  /**
   * A parameter: `self` and `cls`, its annotation, its default, and the arguments passed at the
   * call sites in its module; in a class configured for a model, `obj` and `instance` are the model's.
   */
  private parameterType(module: PythonModule, fn: SyntaxNode, name: string, index: number): Type {
    const cls = enclosingClassBody(fn);
    const decorators = decoratorNames(fn);
    const isMethod = cls !== null && !decorators.includes('staticmethod');
    if (isMethod && index === 0) {
      if (decorators.includes('classmethod')) return this.classType({ module, node: cls });
      return this.selfType({ module, node: cls });
    }
    const parameter = parameterNode(fn.childForFieldName('parameters')!, name);
    const types: Type[] = [];
    const annotation = parameter?.childForFieldName('type');
    if (annotation) types.push(this.annotationType(module, annotation));
    const value = parameter?.childForFieldName('value');
    if (value && value.type !== 'none') types.push(this.typeOf(module, value));
    if (cls && (name === 'obj' || name === 'instance')) {
      const models = this.configuredModels({ module, node: cls });
      if (models.length > 0) types.push(models.map((model) => ({ k: 'instance', model }) as Atom));
    }
    if (types.length === 0) {
      const fnName = fn.childForFieldName('name')?.text ?? '';
      const position = isMethod ? index - 1 : index;
      for (const call of this.callSites(module, fnName, isMethod)) {
        const argument = argumentFor(call, name, position);
        if (argument) types.push(this.typeOf(module, argument));
      }
    }
    return types.length > 0 ? union(...types) : UNKNOWN;
  }

  /** Calls of `name` in a module: `self.name(...)` / `cls.name(...)` / `super().name(...)` for a method, `name(...)` for a function. */
  private callSites(module: PythonModule, name: string, method: boolean): SyntaxNode[] {
    let index = this.callsByName.get(module.path);
    if (!index) {
      index = new Map();
      for (const call of module.root.descendantsOfType('call')) {
        const fn = call?.childForFieldName('function');
        if (!fn) continue;
        let callee: string | null = null;
        if (fn.type === 'identifier') callee = fn.text;
        else if (fn.type === 'attribute') {
          const object = fn.childForFieldName('object');
          if (object && (object.text === 'self' || object.text === 'cls' || object.text === 'super()')) callee = `.${fn.childForFieldName('attribute')?.text}`;
        }
        if (callee) index.set(callee, [...(index.get(callee) ?? []), call!]);
      }
      this.callsByName.set(module.path, index);
    }
    return index.get(method ? `.${name}` : name) ?? [];
  }

  annotationType(module: PythonModule, annotation: SyntaxNode): Type {
    const node = annotation.type === 'type' ? (annotation.namedChild(0) ?? annotation) : annotation;
    if (node.type === 'string') {
      const text = plainString(node);
      if (text && /^[\w.]+$/.test(text)) {
        const symbols = this.code.resolve(module, text.split('.').pop()!);
        return this.instancesOf(union(...symbols.map((symbol) => this.symbolType(symbol))));
      }
      return UNKNOWN;
    }
    if (node.type === 'identifier' || node.type === 'attribute') return this.instancesOf(this.typeOf(module, node));
    if (node.type === 'binary_operator') {
      // X | None
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      return union(left ? this.annotationType(module, left) : [], right ? this.annotationType(module, right) : []).filter((atom) => atom.k !== 'value');
    }
    if (node.type === 'generic_type' || node.type === 'subscript') {
      const base = (node.childForFieldName('value') ?? node.namedChild(0))?.text ?? '';
      const args = node.type === 'subscript' ? node.namedChildren.slice(1) : (node.namedChild(1)?.namedChildren ?? []);
      const inner = union(...args.filter(isExpression).map((arg) => this.annotationType(module, arg!)));
      const last = base.split('.').pop()!;
      if (last === 'Optional' || last === 'Union') return inner;
      if (last === 'QuerySet' || last === 'Manager') return inner.flatMap((atom) => (atom.k === 'instance' ? [{ k: 'queryset', model: atom.model } as Atom] : []));
      if (/^(list|List|Iterable|Sequence|Iterator|set|Set|tuple|Tuple|Collection)$/.test(last)) return [{ k: 'list', of: inner }];
      if (last === 'type' || last === 'Type') return inner.flatMap((atom) => (atom.k === 'instance' ? [{ k: 'modelclass', model: atom.model } as Atom] : []));
      return UNKNOWN;
    }
    if (node.type === 'none') return VALUE;
    return UNKNOWN;
  }

  /** Instances of what a class-valued type names. */
  private instancesOf(type: Type): Type {
    return union(
      ...type.map((atom): Type => {
        if (atom.k === 'modelclass') return [{ k: 'instance', model: atom.model }];
        if (atom.k === 'class') return this.construct(atom.cls);
        if (atom.k === 'value') return VALUE;
        return UNKNOWN;
      }),
    );
  }

  /** `self` in a class: the instances of the concrete models it stands for, else an instance of the class. */
  selfType(cls: ClassRef): Type {
    const models = this.catalog.concreteModelsOfNode(cls.module, cls.node);
    if (models.length > 0) return models.map((model) => ({ k: 'instance', model }) as Atom);
    return [{ k: 'object', cls }];
  }

  private classType(cls: ClassRef): Type {
    const models = this.catalog.concreteModelsOfNode(cls.module, cls.node);
    if (models.length > 0) return models.map((model) => ({ k: 'modelclass', model }) as Atom);
    return [{ k: 'class', cls }];
  }

  /** What calling a project class gives: a factory builds its `Meta.model`, other classes their instance. */
  private construct(cls: ClassRef): Type {
    const models = this.catalog.concreteModelsOfNode(cls.module, cls.node);
    if (models.length > 0) return models.map((model) => ({ k: 'instance', model }) as Atom);
    if (/Factory\b/.test(cls.node.childForFieldName('superclasses')?.text ?? '')) {
      const configured = this.configuredModels(cls);
      if (configured.length > 0) return configured.map((model) => ({ k: 'instance', model }) as Atom);
    }
    return [{ k: 'object', cls }];
  }

  // ---- locals ----------------------------------------------------------------------------------

  /** Names bound in a function's (or the module's) own scope: nested functions, classes and lambdas excluded. */
  private localBindings(module: PythonModule, scope: SyntaxNode): Map<string, LocalBinding[]> {
    const memoKey = `${module.path}:${scope.id}`;
    const cached = this.locals.get(memoKey);
    if (cached) return cached;
    const bindings = new Map<string, LocalBinding[]>();
    const add = (name: string, binding: LocalBinding): void => {
      const list = bindings.get(name);
      if (list) list.push(binding);
      else bindings.set(name, [binding]);
    };
    const bindPattern = (pattern: SyntaxNode, make: (path: number[]) => LocalBinding, path: number[] = []): void => {
      if (pattern.type === 'identifier') add(pattern.text, make(path));
      else if (pattern.type === 'pattern_list' || pattern.type === 'tuple_pattern' || pattern.type === 'list_pattern' || pattern.type === 'tuple' || pattern.type === 'list' || pattern.type === 'parenthesized_expression') {
        pattern.namedChildren.filter(isExpressionOrPattern).forEach((item, index) => bindPattern(item!, make, pattern.type === 'parenthesized_expression' ? path : [...path, index]));
      }
    };
    const visit = (node: SyntaxNode): void => {
      for (const child of node.namedChildren) {
        if (!child) continue;
        switch (child.type) {
          case 'function_definition':
          case 'class_definition': {
            const name = child.childForFieldName('name')?.text;
            if (name && scope.type !== 'module') add(name, { kind: 'opaque' });
            continue;
          }
          case 'lambda':
          case 'list_comprehension':
          case 'set_comprehension':
          case 'generator_expression':
          case 'dictionary_comprehension':
            continue;
          case 'assignment': {
            const left = child.childForFieldName('left');
            const annotation = child.childForFieldName('type');
            if (left?.type === 'identifier' && annotation) add(left.text, { kind: 'annotated', annotation });
            let right = child.childForFieldName('right');
            const chain: SyntaxNode[] = left ? [left] : [];
            while (right?.type === 'assignment') {
              const inner = right.childForFieldName('left');
              if (inner) chain.push(inner);
              right = right.childForFieldName('right');
            }
            if (right) for (const target of chain) bindPattern(target, (path) => ({ kind: 'assign', value: right!, path }));
            break;
          }
          case 'augmented_assignment': {
            const left = child.childForFieldName('left');
            const right = child.childForFieldName('right');
            if (left?.type === 'identifier' && right) add(left.text, { kind: 'extend', value: right });
            break;
          }
          case 'for_statement': {
            const left = child.childForFieldName('left');
            const right = child.childForFieldName('right');
            if (left && right) bindPattern(left, (path) => ({ kind: 'for', iterable: right, path }));
            break;
          }
          case 'with_item': {
            const value = child.childForFieldName('value');
            if (value?.type === 'as_pattern') {
              const expression = value.namedChild(0);
              const alias = value.childForFieldName('alias');
              const target = alias?.namedChild(0) ?? alias;
              if (expression && target?.type === 'identifier') add(target.text, { kind: 'with', value: expression });
            }
            break;
          }
          case 'named_expression': {
            const name = child.childForFieldName('name');
            const value = child.childForFieldName('value');
            if (name && value) add(name.text, { kind: 'assign', value, path: [] });
            break;
          }
          case 'call': {
            // names.append(x), names.extend(xs), names.add(x), names.insert(i, x)
            const fn = child.childForFieldName('function');
            if (fn?.type === 'attribute') {
              const object = fn.childForFieldName('object');
              const method = fn.childForFieldName('attribute')?.text;
              const args = (child.childForFieldName('arguments')?.namedChildren ?? []).filter(isExpression);
              if (object?.type === 'identifier' && args.length > 0) {
                if (method === 'append' || method === 'add') add(object.text, { kind: 'append', value: args[0]! });
                else if (method === 'insert' && args[1]) add(object.text, { kind: 'append', value: args[1] });
                else if (method === 'extend' || method === 'update') add(object.text, { kind: 'extend', value: args[0]! });
              }
            }
            break;
          }
          case 'except_clause':
          case 'import_statement':
          case 'import_from_statement':
            if (scope.type !== 'module') for (const name of child.descendantsOfType('identifier')) if (name && name.parent?.type !== 'attribute') add(name.text, { kind: 'opaque' });
            break;
        }
        visit(child);
      }
    };
    const body = scope.type === 'module' ? scope : scope.childForFieldName('body');
    if (body) visit(body);
    this.locals.set(memoKey, bindings);
    return bindings;
  }

  /**
   * Narrows what is known of a variable by what the code does with it: when it is unknown, or
   * several models, the attributes used on it in its scope that only some of the models have,
   * then its name when it is one model's.
   */
  private narrow(module: PythonModule, scope: SyntaxNode, name: string, type: Type, expression = name): Type {
    const known = type.filter((atom) => atom.k !== 'unknown');
    const models = instanceModels(known);
    // What the code says wins over what it does not say (a parameter whose callers are elsewhere).
    if (known.length > 0 && models.length <= 1) return known;
    if (known.some((atom) => atom.k !== 'instance')) return known;
    const used = [...this.namesUsedOn(module, scope, expression)].filter((used) => !MODEL_API.has(used));
    const narrowed = narrowByNames(this.catalog, models.length > 0 ? models : null, used, name);
    if (!narrowed) return known.length > 0 ? known : type;
    return narrowed.map((model) => ({ k: 'instance', model }) as Atom);
  }

  /** Attribute names read or written on an expression in a scope (`line.product`, `self.basket.lines`). */
  namesUsedOn(module: PythonModule, scope: SyntaxNode, expression: string): Set<string> {
    const memoKey = `${module.path}:${scope.id}`;
    let byText = this.usedNames.get(memoKey);
    if (!byText) {
      byText = new Map();
      for (const attribute of scope.descendantsOfType('attribute')) {
        const object = attribute?.childForFieldName('object');
        const attr = attribute?.childForFieldName('attribute')?.text;
        if (!object || !attr || (object.type !== 'identifier' && object.type !== 'attribute')) continue;
        const set = byText.get(object.text) ?? new Set<string>();
        set.add(attr);
        byText.set(object.text, set);
      }
      this.usedNames.set(memoKey, byText);
    }
    return byText.get(expression) ?? new Set();
  }

  // ---- attributes ------------------------------------------------------------------------------

  /** What `<value>.name` holds. */
  attribute(object: Type, name: string, module: PythonModule | null): Type {
    return union(...object.map((atom) => this.attributeOfAtom(atom, name, module)));
  }

  private attributeOfAtom(atom: Atom, name: string, module: PythonModule | null): Type {
    switch (atom.k) {
      case 'instance': {
        const model = this.catalog.model(atom.model);
        if (!model) return UNKNOWN;
        const accessor = model.accessors.get(name);
        if (accessor) return [{ k: accessor.many ? 'queryset' : 'instance', model: accessor.model }];
        if (model.fields.has(name) || name === 'pk' || name === 'id') return VALUE;
        if (name === '_meta') return VALUE;
        if (!model.names.has(name)) return UNKNOWN;
        // Parsed only now, and only the classes that define the name.
        return this.memberType(this.classRefs(model.classes.filter((cls) => cls.ownNames.has(name))), name);
      }
      case 'queryset':
        if (name === 'model') return [{ k: 'modelclass', model: atom.model }];
        return UNKNOWN;
      case 'modelclass': {
        const model = this.catalog.model(atom.model);
        if (MANAGER_NAMES.has(name)) return [{ k: 'queryset', model: atom.model }];
        if (!model) return UNKNOWN;
        if (model.fields.has(name) || name === '_meta' || name === 'DoesNotExist') return VALUE;
        // A custom manager: a class attribute assigned a call (`objects = OrderManager()`).
        for (const cls of this.classRefs(model.classes.filter((c) => c.ownNames.has(name)))) {
          const value = classAssignment(cls.node, name);
          if (value?.type === 'call' && /Manager|QuerySet|as_manager|from_queryset/.test(calleeText(value) + value.text.slice(0, 80))) return [{ k: 'queryset', model: atom.model }];
        }
        return UNKNOWN;
      }
      case 'object':
      case 'class':
        return this.objectAttribute(atom.cls, name, atom.k === 'object');
      case 'unknown':
        return this.accessorByName(name);
      default:
        return UNKNOWN;
    }
  }

  /**
   * `x.<name>` with `x` unknown: when `name` is an accessor to related objects on some models, it
   * holds what those accessors hold (`event.line_quantities`: the event quantities of either event).
   */
  private accessorByName(name: string): Type {
    const targets = this.catalog.accessorTargets(name);
    if (targets.length === 0) return UNKNOWN;
    return union(...targets.map((target): Type => [{ k: target.many ? 'queryset' : 'instance', model: target.model }]));
  }

  /** An attribute of a project class or its instance: class attributes, `self.x = …`, properties, methods; and what Django's generic classes give. */
  private objectAttribute(cls: ClassRef, name: string, instance: boolean): Type {
    const classes = this.ancestry(cls);
    const types: Type[] = [];
    const member = this.memberType(classes, name);
    if (!isUnknown(member)) types.push(member);
    const models = this.configuredModels(cls);
    if (models.length > 0) {
      if (instance && (name === 'object' || name === 'instance')) types.push(models.map((model) => ({ k: 'instance', model }) as Atom));
      if (name === 'object_list' || name === 'queryset') types.push(models.map((model) => ({ k: 'queryset', model }) as Atom));
      if (name === 'model') types.push(models.map((model) => ({ k: 'modelclass', model }) as Atom));
    }
    return types.length > 0 ? union(...types) : UNKNOWN;
  }

  /** A member of a class or its ancestors: a class attribute, a property, a `self.x = …` assignment, or a method. */
  private memberType(classes: ClassRef[], name: string): Type {
    const types: Type[] = [];
    for (const cls of classes) {
      const members = this.classMembers(cls);
      const value = members.assigned.get(name);
      if (value) types.push(this.typeOf(cls.module, value));
      for (const annotation of members.annotations.get(name) ?? []) types.push(this.annotationType(cls.module, annotation));
      const method = members.methods.get(name);
      if (method) {
        const decorators = decoratorNames(method);
        if (decorators.some((decorator) => /property$/.test(decorator))) types.push(this.returnType(cls.module, method));
        else types.push([{ k: 'function', module: cls.module, node: method }]);
      }
      for (const assigned of members.selfAssigned.get(name) ?? []) types.push(this.typeOf(cls.module, assigned));
      if (types.length > 0) break;
    }
    return types.length > 0 ? union(...types) : UNKNOWN;
  }

  /**
   * What a class body and its methods bind, by name, read in one walk per class: member lookups
   * ask for one name at a time, and walking every method for each made a large model's lookups slow.
   */
  private classMembers(cls: ClassRef): ClassMembers {
    const memoKey = `${cls.module.path}:${cls.node.id}`;
    const cached = this.members.get(memoKey);
    if (cached) return cached;
    const members: ClassMembers = { assigned: new Map(), annotations: new Map(), methods: new Map(), selfAssigned: new Map() };
    const append = (map: Map<string, SyntaxNode[]>, name: string, node: SyntaxNode): void => {
      const list = map.get(name);
      if (list) list.push(node);
      else map.set(name, [node]);
    };
    for (const statement of cls.node.childForFieldName('body')?.namedChildren ?? []) {
      const assignment = statement?.type === 'expression_statement' ? statement.namedChild(0) : null;
      if (assignment?.type === 'assignment') {
        const left = assignment.childForFieldName('left')?.text ?? '';
        // `name = value`: the last one counts; `name: T` alone has no value.
        members.assigned.set(left, assignment.childForFieldName('right'));
        const annotation = assignment.childForFieldName('type');
        if (annotation) append(members.annotations, left, annotation);
      }
      const definition = statement?.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
      if (definition?.type !== 'function_definition') continue;
      const method = definition.childForFieldName('name')?.text;
      if (method !== undefined && !members.methods.has(method)) members.methods.set(method, definition);
      // `self.name = value` and `self.name: T = value` in the methods.
      for (const inner of definition.descendantsOfType('assignment')) {
        const left = inner?.childForFieldName('left');
        if (!inner || left?.type !== 'attribute' || left.childForFieldName('object')?.text !== 'self') continue;
        const attribute = left.childForFieldName('attribute')?.text;
        if (attribute === undefined) continue;
        const annotation = inner.childForFieldName('type');
        if (annotation) append(members.annotations, attribute, annotation);
        let right = inner.childForFieldName('right');
        while (right?.type === 'assignment') right = right.childForFieldName('right');
        if (right) append(members.selfAssigned, attribute, right);
      }
    }
    this.members.set(memoKey, members);
    return members;
  }

  private classRefs(classes: ModelClass[]): ClassRef[] {
    return classes.map((cls) => this.catalog.classRef(cls)).filter((ref): ref is ClassRef => ref !== null);
  }

  /** The class and its project ancestors, nearest first. */
  ancestry(cls: ClassRef): ClassRef[] {
    const found: ClassRef[] = [];
    const visit = (c: ClassRef, depth: number): void => {
      if (depth > 12 || found.some((f) => f.node.id === c.node.id && f.module.path === c.module.path)) return;
      found.push(c);
      for (const base of c.node.childForFieldName('superclasses')?.namedChildren ?? []) {
        if (!base || (base.type !== 'identifier' && base.type !== 'attribute')) continue;
        for (const symbol of this.code.resolveDotted(c.module, base)) {
          if (symbol.kind === 'class') visit({ module: symbol.module, node: symbol.node }, depth + 1);
          if (symbol.kind === 'value') {
            // `EventHandlerMixin = get_class("order.mixins", "EventHandlerMixin")`: a loader naming a module and a class.
            const loaded = this.loadedClass(symbol.node);
            if (loaded) visit(loaded, depth + 1);
          }
        }
      }
    };
    visit(cls, 0);
    return found;
  }

  /** `get_class("dashboard.orders.views", "OrderDetailView")`-style loaders: a module label and a class name. */
  loadedClass(call: SyntaxNode): ClassRef | null {
    if (call.type !== 'call') return null;
    const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((node) => node?.type === 'string').map((node) => plainString(node!));
    if (args.length < 2 || !args[0] || !args[1]) return null;
    const [label, name] = [args[0], args[1]];
    const memoKey = `${label}:${name}`;
    if (this.loaded.has(memoKey)) return this.loaded.get(memoKey)!;
    let found: ClassRef | null = null;
    const suffixes = [`/${label.replace(/\./g, '/')}.py`, `/${label.replace(/\./g, '/')}/__init__.py`];
    for (const path of this.code.paths) {
      if (!suffixes.some((suffix) => `/${path}`.endsWith(suffix))) continue;
      const module = this.code.module(path);
      const symbol = module ? this.code.resolve(module, name).find((s) => s.kind === 'class') : undefined;
      if (symbol?.kind === 'class') {
        found = { module: symbol.module, node: symbol.node };
        break;
      }
    }
    this.loaded.set(memoKey, found);
    return found;
  }

  /**
   * The models a project class is configured for: `Meta.model` (forms, serializers, filter sets,
   * factories), `model = X` or `queryset = X.objects…` (views, admin inlines), the model an admin
   * class is registered for; inherited from its project ancestors.
   */
  configuredModels(cls: ClassRef): string[] {
    const memoKey = `configured:${classId(cls.module, cls.node)}`;
    const cached = this.memo.get(memoKey);
    if (cached) return instanceModels(cached);
    this.memo.set(memoKey, []);
    const found = new Set<string>();
    for (const c of this.ancestry(cls)) {
      const meta = classBodyClass(c.node, 'Meta');
      const metaModel = meta ? classAssignment(meta, 'model') : null;
      const model = classAssignment(c.node, 'model');
      const queryset = classAssignment(c.node, 'queryset');
      for (const value of [metaModel, model]) if (value) for (const m of querysetModels(this.typeOf(c.module, value))) found.add(m);
      if (queryset) for (const m of querysetModels(this.typeOf(c.module, queryset))) found.add(m);
      for (const m of this.registeredFor(c)) found.add(m);
      if (found.size > 0) break;
    }
    const result = [...found];
    this.memo.set(memoKey, result.map((model) => ({ k: 'instance', model }) as Atom));
    return result;
  }

  /** `admin.site.register(Model, ThisAdmin)` in the class's module, or `@admin.register(Model)` on it. */
  private registeredFor(cls: ClassRef): string[] {
    const name = cls.node.childForFieldName('name')?.text;
    const found: string[] = [];
    const decorated = cls.node.parent?.type === 'decorated_definition' ? cls.node.parent : null;
    for (const decorator of decorated?.namedChildren ?? []) {
      if (decorator?.type !== 'decorator') continue;
      const call = decorator.namedChild(0);
      if (call?.type === 'call' && /(?:^|\.)register$/.test(calleeText(call))) {
        for (const arg of (call.childForFieldName('arguments')?.namedChildren ?? []).filter(isExpression)) found.push(...querysetModels(this.typeOf(cls.module, arg!)));
      }
    }
    if (!name) return found;
    for (const call of this.registerCalls(cls.module)) {
      const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter(isExpression);
      if (args.length >= 2 && args[1]!.text === name) found.push(...querysetModels(this.typeOf(cls.module, args[0]!)));
    }
    return found;
  }

  /** `<anything>.register(...)` and `register(...)` calls of a module. */
  private registerCalls(module: PythonModule): SyntaxNode[] {
    let calls = this.registrations.get(module.path);
    if (!calls) {
      calls = module.root.descendantsOfType('call').filter((call): call is SyntaxNode => call !== null && /(?:^|\.)register$/.test(calleeText(call)));
      this.registrations.set(module.path, calls);
    }
    return calls;
  }

  // ---- calls -----------------------------------------------------------------------------------

  private call(module: PythonModule, call: SyntaxNode): Type {
    const fn = call.childForFieldName('function');
    if (!fn) return UNKNOWN;
    const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter(isExpression) as SyntaxNode[];
    const named = modelNamedByCall(call, this.catalog);
    if (named) return [{ k: 'modelclass', model: named }];
    if (fn.type === 'identifier') {
      switch (fn.text) {
        case 'super': {
          const cls = enclosingClassBody(call);
          return cls ? this.selfType({ module, node: cls }) : UNKNOWN;
        }
        case 'get_object_or_404':
          return args[0] ? this.instancesOfQuery(this.typeOf(module, args[0])) : UNKNOWN;
        case 'get_list_or_404':
          return args[0] ? [{ k: 'list', of: this.instancesOfQuery(this.typeOf(module, args[0])) }] : UNKNOWN;
        case 'zip':
          return [{ k: 'list', of: [{ k: 'tuple', items: args.map((arg) => elementOf(this.typeOf(module, arg))) }] }];
        case 'enumerate':
          return args[0] ? [{ k: 'list', of: [{ k: 'tuple', items: [VALUE, elementOf(this.typeOf(module, args[0]))] }] }] : UNKNOWN;
        case 'next':
          return args[0] ? elementOf(this.typeOf(module, args[0])) : UNKNOWN;
        case 'getattr': {
          const name = args[1] ? plainString(args[1]) : null;
          return args[0] && name ? this.attribute(this.typeOf(module, args[0]), name, module) : UNKNOWN;
        }
        case 'filter':
          return args[1] ? [{ k: 'list', of: elementOf(this.typeOf(module, args[1])) }] : UNKNOWN;
        case 'min':
        case 'max':
          return args.length === 1 ? elementOf(this.typeOf(module, args[0]!)) : UNKNOWN;
        case 'cast':
          return args[0] ? this.annotationType(module, args[0]) : UNKNOWN;
      }
      if (ITERABLE_BUILTINS.has(fn.text) && !this.code.resolve(module, fn.text).length) {
        return args[0] ? [{ k: 'list', of: elementOf(this.typeOf(module, args[0])) }] : [{ k: 'list', of: [] }];
      }
      if (VALUE_BUILTINS.has(fn.text) && !this.code.resolve(module, fn.text).length) return VALUE;
    }
    if (fn.type === 'attribute') {
      const object = fn.childForFieldName('object');
      const method = fn.childForFieldName('attribute')?.text;
      if (object && method) {
        const symbols = this.symbolsOf(module, fn);
        if (symbols.length === 0) return this.methodCall(this.typeOf(module, object), method, module);
      }
    }
    return this.callValue(this.typeOf(module, fn));
  }

  /** What calling a value gives. */
  private callValue(callee: Type): Type {
    return union(
      ...callee.map((atom): Type => {
        switch (atom.k) {
          case 'modelclass':
            return [{ k: 'instance', model: atom.model }];
          case 'class':
            return this.construct(atom.cls);
          case 'function':
            return this.returnType(atom.module, atom.node);
          default:
            return UNKNOWN;
        }
      }),
    );
  }

  /** `<value>.method(...)`: queryset and manager methods, model and project class methods. */
  methodCall(receiver: Type, method: string, module: PythonModule | null): Type {
    return union(
      ...receiver.map((atom): Type => {
        switch (atom.k) {
          case 'queryset':
            if (QUERYSET_METHODS.has(method)) return [atom];
            if (INSTANCE_METHODS.has(method)) return [{ k: 'instance', model: atom.model }];
            if (PAIR_METHODS.has(method)) return [{ k: 'tuple', items: [[{ k: 'instance', model: atom.model }], VALUE] }];
            if (method === 'bulk_create') return [{ k: 'list', of: [{ k: 'instance', model: atom.model }] }];
            if (VALUE_METHODS.has(method)) return VALUE;
            // A custom manager or queryset method: its return value is not followed.
            return UNKNOWN;
          case 'instance':
          case 'object':
          case 'class':
          case 'modelclass': {
            const member = this.attributeOfAtom(atom, method, module);
            const called = this.callValue(member);
            if (!isUnknown(called)) return called;
            return atom.k === 'object' ? this.genericViewMethod(atom.cls, method) : UNKNOWN;
          }
          case 'list':
            if (method === 'pop') return atom.of;
            if (method === 'copy') return [atom];
            return UNKNOWN;
          default:
            return UNKNOWN;
        }
      }),
    );
  }

  /** Django's generic views when the class does not define the method itself. */
  private genericViewMethod(cls: ClassRef, method: string): Type {
    const models = this.configuredModels(cls);
    if (models.length === 0) return UNKNOWN;
    if (method === 'get_object') return models.map((model) => ({ k: 'instance', model }) as Atom);
    if (method === 'get_queryset') return models.map((model) => ({ k: 'queryset', model }) as Atom);
    return UNKNOWN;
  }

  private instancesOfQuery(type: Type): Type {
    return union(...type.map((atom): Type => (atom.k === 'queryset' || atom.k === 'modelclass' ? [{ k: 'instance', model: atom.model }] : UNKNOWN)));
  }

  /** What a function returns: the union of its `return` expressions (`yield`s as a list). */
  returnType(module: PythonModule, fn: SyntaxNode): Type {
    const memoKey = `return:${module.path}:${fn.id}`;
    const cached = this.memo.get(memoKey);
    if (cached) return cached;
    if (this.inProgress.has(memoKey)) return [];
    this.inProgress.add(memoKey);
    const types: Type[] = [];
    try {
      const annotation = fn.childForFieldName('return_type');
      if (annotation) {
        const annotated = this.annotationType(module, annotation);
        if (!isUnknown(annotated)) types.push(annotated);
      }
      if (types.length === 0) {
        const body = fn.childForFieldName('body');
        const yields: Type[] = [];
        if (body) {
          for (const statement of ownDescendants(body, ['return_statement', 'yield'])) {
            const value = statement.namedChildren.find(isExpression);
            if (statement.type === 'yield') yields.push(value ? this.typeOf(module, value) : VALUE);
            else types.push(value ? this.typeOf(module, value) : VALUE);
          }
        }
        if (yields.length > 0) types.push([{ k: 'list', of: union(...yields) }]);
      }
    } finally {
      this.inProgress.delete(memoKey);
    }
    const result = types.length > 0 ? union(...types) : UNKNOWN;
    this.memo.set(memoKey, result);
    return result;
  }
}

/**
 * Candidate models for a value known only by what the code does with it: those that have every
 * attribute used on it (names no model has are left out: set at run time), when that narrows them;
 * then, among several, the one the variable is named after (`order`, `basket_line`).
 */
export function narrowByNames(catalog: ModelCatalog, candidates: string[] | null, used: string[], variable: string): string[] | null {
  let models = candidates;
  for (const name of used) {
    const having = catalog.modelsWithName(name.replace(/^get_(\w+)_display$/, '$1'));
    if (having.length === 0) {
      // Known to be some models: an attribute set at run time. Known to be nothing: not a model at all.
      if (candidates === null) return null;
      continue;
    }
    const next = models === null ? having : models.filter((model) => having.includes(model));
    if (next.length === 0 && candidates === null) return null;
    if (next.length > 0) models = next;
  }
  if (models === null || models.length === 0) return null;
  if (models.length > 1) {
    const named = models.filter((key) => {
      const model = catalog.model(key)!;
      const snake = snakeName(model.name);
      return variable === snake || variable === `${model.app}_${snake}` || variable === `${snake}s`;
    });
    if (named.length === 1) return named;
  }
  // Too many to say anything (a name every line model has): nothing learnt.
  if (candidates === null && models.length > 3) return null;
  return models;
}

function isExpression(node: SyntaxNode | null): boolean {
  return node !== null && node.type !== 'comment' && node.type !== 'keyword_argument' && node.type !== 'list_splat' && node.type !== 'dictionary_splat';
}

function isExpressionOrPattern(node: SyntaxNode | null): boolean {
  return node !== null && node.type !== 'comment';
}

function followPath(type: Type, path: number[]): Type {
  let result = type;
  for (const index of path) result = itemOf(result, index);
  return result;
}

/** The index path of `name` in a target pattern (`a, (b, c)`: c → [1, 1]), or null. */
function patternPath(pattern: SyntaxNode, name: string, path: number[] = []): number[] | null {
  if (pattern.type === 'identifier') return pattern.text === name ? path : null;
  if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list'].includes(pattern.type)) {
    const items = pattern.namedChildren.filter(isExpressionOrPattern);
    for (let i = 0; i < items.length; i++) {
      const found = patternPath(items[i]!, name, [...path, i]);
      if (found) return found;
    }
  }
  if (pattern.type === 'parenthesized_expression') {
    const inner = pattern.namedChild(0);
    return inner ? patternPath(inner, name, path) : null;
  }
  return null;
}

export function parameterNames(parameters: SyntaxNode): string[] {
  const names: string[] = [];
  for (const parameter of parameters.namedChildren) {
    if (!parameter) continue;
    if (parameter.type === 'identifier') names.push(parameter.text);
    else if (parameter.type === 'typed_parameter') {
      const id = parameter.namedChildren.find((child) => child?.type === 'identifier');
      if (id) names.push(id.text);
    } else if (parameter.type === 'default_parameter' || parameter.type === 'typed_default_parameter') {
      const name = parameter.childForFieldName('name');
      if (name) names.push(name.text);
    } else if (parameter.type === 'list_splat_pattern' || parameter.type === 'dictionary_splat_pattern') {
      const id = parameter.namedChild(0);
      if (id) names.push(id.text);
    }
  }
  return names;
}

function parameterNode(parameters: SyntaxNode, name: string): SyntaxNode | null {
  for (const parameter of parameters.namedChildren) {
    if (!parameter) continue;
    if (parameter.type === 'identifier' && parameter.text === name) return parameter;
    const id = parameter.childForFieldName('name') ?? parameter.namedChildren.find((child) => child?.type === 'identifier');
    if (id?.text === name) return parameter;
  }
  return null;
}

/** The argument passed for a parameter: by keyword, else by position (splats end the positions). */
function argumentFor(call: SyntaxNode, name: string, position: number): SyntaxNode | null {
  const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((node) => node && node.type !== 'comment') as SyntaxNode[];
  for (const arg of args) if (arg.type === 'keyword_argument' && arg.childForFieldName('name')?.text === name) return arg.childForFieldName('value');
  let index = 0;
  for (const arg of args) {
    if (arg.type === 'keyword_argument' || arg.type === 'dictionary_splat') continue;
    if (arg.type === 'list_splat') return null;
    if (index === position) return arg;
    index++;
  }
  return null;
}

/** The class whose body directly holds `node` (a method, a lambda in a class attribute), or null. */
export function enclosingClassBody(node: SyntaxNode): SyntaxNode | null {
  let current: SyntaxNode | null = node;
  // A method: function_definition → (decorated_definition) → block → class_definition.
  if (current.type === 'function_definition') {
    let parent = current.parent;
    if (parent?.type === 'decorated_definition') parent = parent.parent;
    return parent?.type === 'block' && parent.parent?.type === 'class_definition' ? parent.parent : null;
  }
  // Anything else: the nearest class, unless a function comes first.
  for (current = node.parent; current; current = current.parent) {
    if (current.type === 'function_definition') return null;
    if (current.type === 'class_definition') return current;
  }
  return null;
}

function enclosingFunctionOrModule(node: SyntaxNode): SyntaxNode | null {
  for (let current = node.parent; current; current = current.parent) if (current.type === 'function_definition' || current.type === 'module') return current;
  return null;
}

/** The nearest enclosing class of a node, through methods. */
export function enclosingClass(node: SyntaxNode): SyntaxNode | null {
  for (let current = node.parent; current; current = current.parent) if (current.type === 'class_definition') return current;
  return null;
}

function decoratorNames(fn: SyntaxNode): string[] {
  const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : null;
  return (decorated?.namedChildren ?? []).filter((node) => node?.type === 'decorator').map((node) => node!.text.replace(/^@/, '').replace(/\(.*$/s, '').split('.').pop()!);
}

/** The value of `name = value` directly in a class body (the last one), or null. */
export function classAssignment(cls: SyntaxNode, name: string): SyntaxNode | null {
  let found: SyntaxNode | null = null;
  for (const statement of cls.childForFieldName('body')?.namedChildren ?? []) {
    const assignment = statement?.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type !== 'assignment') continue;
    if (assignment.childForFieldName('left')?.text === name) found = assignment.childForFieldName('right');
  }
  return found;
}

export function classBodyClass(cls: SyntaxNode, name: string): SyntaxNode | null {
  for (const statement of cls.childForFieldName('body')?.namedChildren ?? []) {
    if (statement?.type === 'class_definition' && statement.childForFieldName('name')?.text === name) return statement;
  }
  return null;
}

export function classMethod(cls: SyntaxNode, name: string): SyntaxNode | null {
  for (const statement of cls.childForFieldName('body')?.namedChildren ?? []) {
    const definition = statement?.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
    if (definition?.type === 'function_definition' && definition.childForFieldName('name')?.text === name) return definition;
  }
  return null;
}

/** Descendants of the given types that belong to this function body (not to nested functions, classes or lambdas). */
function ownDescendants(body: SyntaxNode, types: string[]): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'function_definition' || child.type === 'class_definition' || child.type === 'lambda') continue;
      if (types.includes(child.type)) found.push(child);
      visit(child);
    }
  };
  visit(body);
  return found;
}

