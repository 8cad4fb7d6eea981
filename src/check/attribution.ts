/**
 * Which model a reference to a field name refers to, from what the code says (python-types.ts):
 * the receiver of `x.quantity`, the queryset a lookup or an F()/values()/order_by() string is
 * relative to (`stocks__quantity` followed through the relations), the model a class is configured
 * for (admin, ModelForm, ModelSerializer, FilterSet, factory), the instance `save(update_fields=…)`
 * is called on.
 *
 * Every reference gets a certainty:
 * - `certain`: attributed to the changed model, or the name is a field of no other model;
 * - `possible`: the receiver is unknown (or could be several models) and other models have the name;
 * - `dropped`: attributed to another model, or not a field at all (an annotation's alias, a
 *   function's own parameter): not reported, shown with `--explain`.
 */
import type { SyntaxNode } from '../python/parser.js';
import { plainString, type ModelCatalog } from './model-catalog.js';
import type { ProjectCode, PythonModule } from './project-code.js';
import {
  enclosingClass,
  enclosingClassBody,
  instanceModels,
  parameterNames,
  querysetModels,
  type Type,
  type TypeEvaluator,
} from './python-types.js';
import type { ReferenceKind } from './python-references.js';

export type Certainty = 'certain' | 'possible' | 'dropped';

export interface Attribution {
  certainty: Certainty;
  /** Why, in a few words: `receiver \`line\` is order.Line`, `only shop.Order has a field quantity`. */
  reason: string;
}

/** What the code says a reference belongs to, before it is compared with the target. */
export interface Owners {
  /** Concrete models, or null when the code does not say. */
  models: string[] | null;
  /** How the models were found (the receiver's text), for the reason. */
  via: string;
  /** Set when the name is not a model field there at all. */
  notAField?: string;
}

const UNKNOWN_OWNER = (via: string): Owners => ({ models: null, via });

/** Queryset methods whose keyword arguments are lookups (or field values) of the queryset's model. */
export const LOOKUP_METHODS = new Set([
  'filter', 'exclude', 'get', 'get_or_create', 'update_or_create', 'create', 'update', 'aget', 'aget_or_create',
  'aupdate_or_create', 'acreate', 'aupdate',
]);
/** Methods whose keyword arguments name new annotations, not fields. */
export const ALIAS_METHODS = new Set(['annotate', 'aggregate', 'alias', 'values', 'aannotate', 'aaggregate']);
/** Methods whose string arguments are field paths of the receiver's model. */
const PATH_METHODS = new Set([
  'values', 'values_list', 'only', 'defer', 'order_by', 'distinct', 'select_related', 'prefetch_related', 'latest',
  'earliest', 'dates', 'datetimes', 'bulk_update', 'alatest', 'aearliest', 'abulk_update',
]);
/** Calls that take a model instance first and an attribute name second. */
const ATTRIBUTE_FUNCTIONS = new Set(['getattr', 'setattr', 'hasattr', 'delattr']);
/** Wrappers an expression (F, Q, Sum…) climbs through on its way to the queryset method that uses it. */
const EXPRESSION_PARENTS = new Set([
  'argument_list', 'binary_operator', 'unary_operator', 'parenthesized_expression', 'list', 'tuple', 'boolean_operator',
  'keyword_argument', 'call', 'conditional_expression', 'pair', 'dictionary', 'comparison_operator', 'not_operator',
  'expression_list', 'dictionary_splat', 'list_splat',
]);

export class ReferenceAttributor {
  constructor(
    readonly code: ProjectCode,
    readonly catalog: ModelCatalog,
    readonly types: TypeEvaluator,
  ) {}

  /** The certainty of a reference to `field` of `target` (`app.Model`), from what owns it. */
  decide(owners: Owners, target: string, field: string): Attribution {
    if (owners.notAField) return { certainty: 'dropped', reason: owners.notAField };
    // A model that reads the target's own column (a multi-table child, a proxy) is the target here.
    const owner = (model: string) => this.catalog.fieldOwner(model, field);
    const others = [...new Set(this.catalog.modelsWithField(field).map(owner))].filter((model) => model !== target);
    const fallback = (why: string): Attribution =>
      others.length === 0
        ? { certainty: 'certain', reason: `${why}; ${field} is a field of no other model` }
        : { certainty: 'possible', reason: `${why}; ${field} is also a field of ${listing(others)}` };
    const models = owners.models;
    if (models === null || models.length === 0) return fallback(`${owners.via} is not known to be a model`);
    // A model that has no such name at all: the inference went astray, say nothing from it.
    const plausible = [
      ...new Set(
        models
          .filter((model) => model === target || this.catalog.model(model)?.fields.has(field) || this.catalog.model(model)?.names.has(field))
          .map((model) => (this.catalog.model(model)?.fields.has(field) ? owner(model) : model)),
      ),
    ];
    if (plausible.length === 0) return fallback(`${owners.via} is ${listing(models)}, which has no ${field}`);
    if (plausible.every((model) => model === target)) return { certainty: 'certain', reason: `${owners.via} is ${target}` };
    if (!plausible.includes(target)) return { certainty: 'dropped', reason: `${owners.via} is ${listing(plausible, 'or')}` };
    return { certainty: 'possible', reason: `${owners.via} could be ${listing(plausible, 'or')}` };
  }

  /** The owners of a classified occurrence of `name` at `index` in a parsed module. */
  pythonOwners(module: PythonModule, index: number, name: string, kind: ReferenceKind): Owners {
    const node = module.root.descendantForIndex(index, index + name.length);
    if (!node) return UNKNOWN_OWNER('the code');
    switch (kind) {
      case 'attribute':
        return this.attributeOwners(module, node);
      case 'lookup':
        return this.lookupOwners(module, node, name);
      case 'orm-string':
        return this.ormStringOwners(module, node, name);
      case 'field-list':
        return this.fieldListOwners(module, node, name);
      case 'declared-field': {
        const cls = enclosingClass(node);
        return cls ? this.classOwners(module, cls) : UNKNOWN_OWNER('the class');
      }
      default:
        return UNKNOWN_OWNER('raw SQL');
    }
  }

  // ---- x.quantity ----------------------------------------------------------------------------

  private attributeOwners(module: PythonModule, identifier: SyntaxNode): Owners {
    const attribute = identifier.parent;
    const object = attribute?.childForFieldName('object');
    if (!object) return UNKNOWN_OWNER('the receiver');
    const type = this.types.typeOf(module, object);
    return this.ownersOfInstances(type, `\`${clip(object.text)}\``);
  }

  private ownersOfInstances(type: Type, via: string): Owners {
    const models = [...new Set([...instanceModels(type), ...type.flatMap((atom) => (atom.k === 'modelclass' ? [atom.model] : []))])];
    return { models: models.length > 0 ? models : null, via };
  }

  // ---- quantity=, a__quantity=, **{"quantity": …} ----------------------------------------------

  private lookupOwners(module: PythonModule, node: SyntaxNode, name: string): Owners {
    // A keyword: `quantity=` / `order__quantity__gte=`.
    if (node.type === 'identifier' && node.parent?.type === 'keyword_argument') {
      const call = node.parent.parent?.parent;
      if (call?.type !== 'call') return UNKNOWN_OWNER('the call');
      return this.pathOwners(this.callModels(module, call, node.text), node.text, name, '__');
    }
    // A string key of a dict unpacked into a call, directly or through a variable.
    const string = node.type === 'string' ? node : node.parent;
    const pair = string?.parent;
    const dictionary = pair?.parent;
    if (!string || pair?.type !== 'pair' || dictionary?.type !== 'dictionary') return UNKNOWN_OWNER('the call');
    const path = plainString(string) ?? name;
    if (dictionary.parent?.type === 'dictionary_splat') {
      const call = dictionary.parent.parent?.parent;
      return call?.type === 'call' ? this.pathOwners(this.callModels(module, call, null), path, name, '__') : UNKNOWN_OWNER('the call');
    }
    if (dictionary.parent?.type === 'keyword_argument') {
      // defaults={...}, create_defaults={...}
      const call = dictionary.parent.parent?.parent;
      return call?.type === 'call' ? this.pathOwners(this.callModels(module, call, null), path, name, '__') : UNKNOWN_OWNER('the call');
    }
    const variable = dictionary.parent?.type === 'assignment' ? dictionary.parent.childForFieldName('left') : null;
    const scope = enclosingScope(dictionary);
    if (variable?.type === 'identifier' && scope) {
      const calls = splatCalls(scope, variable.text);
      if (calls.length > 0) return this.pathOwners(mergeOwners(calls.map((call) => this.callModels(module, call, null))), path, name, '__');
    }
    return UNKNOWN_OWNER('the dict');
  }

  /** The models a call's lookups (keywords, unpacked dicts) are relative to. */
  private callModels(module: PythonModule, call: SyntaxNode, keyword: string | null): Owners {
    const fn = call.childForFieldName('function');
    if (!fn) return UNKNOWN_OWNER('the call');
    const callee = fn.type === 'attribute' ? (fn.childForFieldName('attribute')?.text ?? '') : fn.text;
    if (fn.type === 'attribute') {
      const receiver = fn.childForFieldName('object')!;
      if (keyword !== null && ALIAS_METHODS.has(callee)) return { models: null, via: '', notAField: `${keyword}= names an annotation of ${callee}(), not a field` };
      if (LOOKUP_METHODS.has(callee)) {
        const models = querysetModels(this.types.typeOf(module, receiver));
        return { models: models.length > 0 ? models : null, via: `\`${clip(receiver.text)}\`` };
      }
    }
    if (callee === 'Q') {
      const query = this.consumingQuery(module, call);
      return query ?? UNKNOWN_OWNER('the Q() object');
    }
    if (callee === 'get_object_or_404' || callee === 'get_list_or_404') {
      const first = arguments_(call)[0];
      if (!first) return UNKNOWN_OWNER('the call');
      const models = querysetModels(this.types.typeOf(module, first));
      return { models: models.length > 0 ? models : null, via: `\`${clip(first.text)}\`` };
    }
    // Model(...), a factory, or a function of the project with a parameter of that name.
    const type = this.types.typeOf(module, fn);
    const models = new Set<string>();
    for (const atom of type) {
      if (atom.k === 'modelclass') models.add(atom.model);
      if (atom.k === 'class') for (const model of this.types.configuredModels(atom.cls)) models.add(model);
      if (keyword !== null && (atom.k === 'function' || atom.k === 'class')) {
        const fnNode = atom.k === 'function' ? atom.node : classInit(atom.cls.node);
        const parameters = fnNode?.childForFieldName('parameters');
        if (parameters && parameterNames(parameters).includes(keyword.split('__')[0]!)) {
          return { models: null, via: '', notAField: `${keyword}= is a parameter of ${fnNode!.childForFieldName('name')?.text ?? 'the function'}()` };
        }
      }
    }
    if (models.size > 0) return { models: [...models], via: `\`${clip(fn.text)}(...)\`` };
    // A related manager's or queryset's method the evaluator does not know.
    if (fn.type === 'attribute') {
      const receiver = fn.childForFieldName('object')!;
      const receiverModels = querysetModels(this.types.typeOf(module, receiver));
      if (receiverModels.length > 0 && /^a?(?:get|create|filter|update)/.test(callee)) return { models: receiverModels, via: `\`${clip(receiver.text)}\`` };
    }
    return UNKNOWN_OWNER(`\`${clip(fn.text)}(...)\``);
  }

  /**
   * The queryset method call that uses an expression (an F(), a Q(), an aggregate), directly or
   * through a variable it is assigned to: the models its receiver holds.
   */
  private consumingQuery(module: PythonModule, expression: SyntaxNode, skip = 0, depth = 0): Owners | null {
    let node = expression;
    let skipped = 0;
    for (let parent = node.parent; parent && depth < 4; node = parent, parent = parent.parent) {
      if (parent.type === 'call' && node.type === 'argument_list') {
        const fn = parent.childForFieldName('function');
        if (fn?.type === 'attribute') {
          const receiver = fn.childForFieldName('object')!;
          const models = querysetModels(this.types.typeOf(module, receiver));
          if (models.length > 0) {
            if (skipped === skip) return { models, via: `\`${clip(receiver.text)}\`` };
            skipped++;
          }
        }
        continue;
      }
      if (EXPRESSION_PARENTS.has(parent.type)) continue;
      if (parent.type === 'assignment' && parent.childForFieldName('right')?.id === node.id) {
        const variable = parent.childForFieldName('left');
        const scope = enclosingScope(parent);
        if (variable?.type !== 'identifier' || !scope) return null;
        const found = identifierUses(scope, variable.text, parent)
          .map((use) => this.consumingQuery(module, use, skip - skipped, depth + 1))
          .filter((owners): owners is Owners => owners !== null);
        return found.length > 0 ? mergeOwners(found) : null;
      }
      return null;
    }
    return null;
  }

  /** Follows the steps of a lookup path before `name` (`order__lines__quantity`) through the relations. */
  private pathOwners(start: Owners, path: string, name: string, separator: '__' | '.'): Owners {
    if (start.notAField || start.models === null) return start;
    const parts = path.split(separator === '__' ? '__' : '.');
    const at = parts.indexOf(name);
    let models = start.models;
    const steps = parts.slice(0, at < 0 ? 0 : at);
    for (const step of steps) {
      const next = new Set<string>();
      for (const key of models) {
        const model = this.catalog.model(key);
        const target = separator === '__' ? model?.lookupSteps.get(step) : model?.accessors.get(step)?.model;
        if (target) next.add(target);
      }
      if (next.size === 0) return { models: null, via: `${start.via}'s ${steps.join(separator)}` };
      models = [...next];
    }
    return { models, via: steps.length > 0 ? `${start.via} through ${steps.join(separator)}` : start.via };
  }

  // ---- F("quantity"), values("quantity"), getattr(x, "quantity") -----------------------------------

  private ormStringOwners(module: PythonModule, node: SyntaxNode, name: string): Owners {
    const string = node.type === 'string' ? node : node.parent;
    if (!string) return UNKNOWN_OWNER('the string');
    const path = (plainString(string) ?? name).replace(/^[-+?^=@$]/, '');
    const call = enclosingCall(string);
    if (!call) return UNKNOWN_OWNER('the string');
    const fn = call.childForFieldName('function')!;
    const callee = fn.type === 'attribute' ? (fn.childForFieldName('attribute')?.text ?? '') : fn.text;
    if (ATTRIBUTE_FUNCTIONS.has(callee)) {
      const first = arguments_(call)[0];
      return first ? this.ownersOfInstances(this.types.typeOf(module, first), `\`${clip(first.text)}\``) : UNKNOWN_OWNER('the object');
    }
    if (fn.type === 'attribute' && (PATH_METHODS.has(callee) || callee === 'get_field')) {
      const receiver = fn.childForFieldName('object')!;
      if (callee === 'get_field') {
        // X._meta.get_field("quantity")
        const owner = receiver.type === 'attribute' ? receiver.childForFieldName('object') : null;
        if (!owner) return UNKNOWN_OWNER('the model');
        return this.ownersOfInstances(this.types.typeOf(module, owner), `\`${clip(owner.text)}\``);
      }
      const models = querysetModels(this.types.typeOf(module, receiver));
      return this.pathOwners({ models: models.length > 0 ? models : null, via: `\`${clip(receiver.text)}\`` }, path, name, '__');
    }
    if (callee === 'Index' || callee === 'UniqueConstraint') {
      const cls = enclosingClass(call);
      const model = cls?.childForFieldName('name')?.text === 'Meta' ? enclosingClass(cls) : cls;
      return model ? this.classOwners(module, model) : UNKNOWN_OWNER('the model');
    }
    // F(), an aggregate or a database function: the queryset that uses it (OuterRef: the one outside).
    const query = this.consumingQuery(module, call, callee === 'OuterRef' ? 1 : 0);
    return query ? this.pathOwners(query, path, name, '__') : UNKNOWN_OWNER(`\`${callee}()\``);
  }

  // ---- list_display = [...], update_fields=[...], source="..." ----------------------------------

  private fieldListOwners(module: PythonModule, node: SyntaxNode, name: string): Owners {
    const string = node.type === 'string' ? node : node.type === 'string_content' ? node.parent : null;
    const path = string ? (plainString(string) ?? name).replace(/^[-+?^=@$]/, '') : name;
    const keyword = keywordAbove(string ?? node);
    if (keyword) {
      const call = keyword.parent?.parent;
      const word = keyword.childForFieldName('name')?.text ?? '';
      if (call?.type === 'call') {
        const fn = call.childForFieldName('function')!;
        const callee = fn.type === 'attribute' ? (fn.childForFieldName('attribute')?.text ?? '') : fn.text;
        if (word === 'defaults' || word === 'create_defaults') return this.pathOwners(this.callModels(module, call, null), path, name, '__');
        if (fn.type === 'attribute' && (word === 'update_fields' || (word === 'fields' && callee === 'refresh_from_db'))) {
          const receiver = fn.childForFieldName('object')!;
          return this.ownersOfInstances(this.types.typeOf(module, receiver), `\`${clip(receiver.text)}\``);
        }
        if (/(?:formset_factory|form_factory)$/.test(callee)) {
          const models = this.factoryModels(module, call, callee);
          return { models: models.length > 0 ? models : null, via: `\`${clip(callee)}(...)\`` };
        }
      }
      // source="..." of a serializer field, field_name= of a filter: the class's model.
      const cls = enclosingClassBody(keyword);
      if (cls) return this.pathOwners(this.classOwners(module, cls), path, name, word === 'source' ? '.' : '__');
      return UNKNOWN_OWNER(`\`${word}=\``);
    }
    // A class attribute (list_display, Meta.fields, fieldsets, widgets) or a get_<list>() method's strings.
    const cls = enclosingClass(node);
    if (!cls) return UNKNOWN_OWNER('the field list');
    const owner = cls.childForFieldName('name')?.text === 'Meta' ? (enclosingClass(cls) ?? cls) : cls;
    return this.pathOwners(this.classOwners(module, owner), path, name, '__');
  }

  private factoryModels(module: PythonModule, call: SyntaxNode, callee: string): string[] {
    const args = arguments_(call);
    const model = call.childForFieldName('arguments')?.namedChildren.find((arg) => arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'model')?.childForFieldName('value');
    const chosen = model ?? (callee.startsWith('inline') ? args[1] : args[0]);
    return chosen ? querysetModels(this.types.typeOf(module, chosen)) : [];
  }

  /** The models a class is about: a model class itself, or what it is configured for. */
  classOwners(module: PythonModule, cls: SyntaxNode): Owners {
    const name = cls.childForFieldName('name')?.text ?? 'the class';
    const own = this.catalog.concreteModelsOfNode(module, cls);
    if (own.length > 0) return { models: own, via: `class ${name}` };
    const configured = this.types.configuredModels({ module, node: cls });
    return { models: configured.length > 0 ? configured : null, via: `${name}'s model` };
  }
}

export function listing(models: string[], last: 'and' | 'or' = 'and'): string {
  const sorted = [...models].sort();
  if (sorted.length > 4) return `${sorted.slice(0, 4).join(', ')} ${last} ${sorted.length - 4} more`;
  return sorted.length <= 1 ? sorted.join('') : `${sorted.slice(0, -1).join(', ')} ${last} ${sorted.at(-1)}`;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 37)}...` : flat;
}

/** The owners of several uses of one value (a dict unpacked twice, an expression used in two queries). */
function mergeOwners(owners: Owners[]): Owners {
  const notAField = owners.find((owner) => owner.notAField);
  if (notAField) return notAField;
  const models = [...new Set(owners.flatMap((owner) => owner.models ?? []))];
  return { models: models.length > 0 ? models : null, via: owners[0]?.via ?? 'the call' };
}

function arguments_(call: SyntaxNode): SyntaxNode[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (node): node is SyntaxNode => node !== null && node.type !== 'comment' && node.type !== 'keyword_argument' && node.type !== 'dictionary_splat' && node.type !== 'list_splat',
  );
}

/** The call whose arguments hold `node` (through lists, tuples and keyword arguments). */
function enclosingCall(node: SyntaxNode): SyntaxNode | null {
  for (let current = node.parent, child = node; current; child = current, current = current.parent) {
    if (current.type === 'call' && child.type === 'argument_list') return current;
    if (!['argument_list', 'list', 'tuple', 'keyword_argument', 'parenthesized_expression', 'set', 'binary_operator', 'concatenated_string'].includes(current.type)) return null;
  }
  return null;
}

/**
 * The keyword argument a string is the value of (or an element or key in it), or null; through a
 * local variable too (`defaults = {...}` then `get_or_create(..., defaults=defaults)`).
 */
function keywordAbove(node: SyntaxNode): SyntaxNode | null {
  for (let current = node.parent, child = node; current; child = current, current = current.parent) {
    if (current.type === 'keyword_argument') return current;
    if (current.type === 'assignment' && current.childForFieldName('right')?.id === child.id) {
      const variable = current.childForFieldName('left');
      const scope = enclosingScope(current);
      if (variable?.type !== 'identifier' || scope?.type !== 'function_definition') return null;
      for (const keyword of scope.descendantsOfType('keyword_argument')) {
        const value = keyword?.childForFieldName('value');
        if (value?.type === 'identifier' && value.text === variable.text) return keyword;
      }
      return null;
    }
    if (!['list', 'tuple', 'set', 'pair', 'dictionary', 'parenthesized_expression'].includes(current.type)) return null;
  }
  return null;
}

/** The function (or module) a node belongs to. */
function enclosingScope(node: SyntaxNode): SyntaxNode | null {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'function_definition' || current.type === 'module') return current;
  }
  return null;
}

/** Calls in a scope that unpack `**name`. */
function splatCalls(scope: SyntaxNode, name: string): SyntaxNode[] {
  const calls: SyntaxNode[] = [];
  for (const splat of scope.descendantsOfType('dictionary_splat')) {
    const value = splat?.namedChild(0);
    const call = splat?.parent?.parent;
    if (value?.type === 'identifier' && value.text === name && call?.type === 'call') calls.push(call);
  }
  return calls;
}

/** Reads of a variable in a scope, other than in `except` (the assignment itself). */
function identifierUses(scope: SyntaxNode, name: string, except: SyntaxNode): SyntaxNode[] {
  return scope.descendantsOfType('identifier').filter(
    (node): node is SyntaxNode =>
      node !== null &&
      node.text === name &&
      !(node.startIndex >= except.startIndex && node.endIndex <= except.endIndex) &&
      !(node.parent?.type === 'keyword_argument' && node.parent.childForFieldName('name')?.id === node.id) &&
      !(node.parent?.type === 'attribute' && node.parent.childForFieldName('attribute')?.id === node.id),
  );
}

function classInit(cls: SyntaxNode): SyntaxNode | null {
  for (const statement of cls.childForFieldName('body')?.namedChildren ?? []) {
    const definition = statement?.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
    if (definition?.type === 'function_definition' && definition.childForFieldName('name')?.text === '__init__') return definition;
  }
  return null;
}

