/**
 * Where Python code refers to a model field or a model, found with tree-sitter: each textual
 * occurrence of the name is classified by the syntax around it, so that comments, docstrings, log
 * messages and look-alike names (`quantity_allocated`) are never reported.
 *
 * The rules are about how Django code names fields: attribute access, keyword lookups
 * (`quantity__gte=`), strings the ORM reads as field paths (`F("quantity")`, `values()`,
 * `order_by("-quantity")`, `update_fields`), and the field lists of admin classes, forms and
 * serializers. A string anywhere else is prose.
 */
import type { SyntaxNode } from '../python/parser.js';

export type ReferenceKind =
  /** `order.quantity` */
  | 'attribute'
  /** `quantity=`, `quantity__gte=`, `order__quantity=` */
  | 'lookup'
  /** A string the ORM reads as a field path: `F("quantity")`, `values("quantity")`, `order_by("-quantity")`. */
  | 'orm-string'
  /** The name as a word in raw SQL handed to Django or the driver: `cursor.execute("SELECT quantity ...")`, `RawSQL(...)`. */
  | 'raw-sql'
  /** A field list of an admin class, form, serializer or model option: `list_display = [...]`, `update_fields=[...]`. */
  | 'field-list'
  /** `{{ order.quantity }}` or `{% if order.quantity %}` in a Django or Jinja2 template. */
  | 'template'
  /**
   * A class attribute named like the field in a class configured for the model (`Meta.model`): a
   * factory's attribute, a serializer's or form's declared field (DRF reads `instance.quantity`).
   */
  | 'declared-field'
  /** The model's class name in code: imports, `Shipment.objects`, `model = Shipment`, FK targets. */
  | 'model-name'
  /** The model named in a string: `"shop.Shipment"`, `ForeignKey("Shipment")`, `get_model("shop", "Shipment")`. */
  | 'model-string'
  /**
   * The field's own statement in its model's class body, or the model's class statement. Never a
   * reference: reported only when asked for (`check` uses it to see whether models.py agrees with the record).
   */
  | 'definition';

export interface NameHit {
  /** String index of the occurrence. */
  index: number;
  kind: ReferenceKind;
}

/** Calls whose string arguments Django reads as field paths. */
const FIELD_PATH_CALLEES = new Set([
  'F',
  'OuterRef',
  'values',
  'values_list',
  'only',
  'defer',
  'order_by',
  'distinct',
  'select_related',
  'prefetch_related',
  'Prefetch',
  'latest',
  'earliest',
  'dates',
  'datetimes',
  'bulk_update',
  'refresh_from_db',
  'get_field',
  'getattr',
  'setattr',
  'hasattr',
  'delattr',
  'Index',
  'UniqueConstraint',
  'Sum',
  'Avg',
  'Count',
  'Max',
  'Min',
  'StdDev',
  'Variance',
  'Coalesce',
  'Greatest',
  'Least',
  'Cast',
  'Lower',
  'Upper',
  'Length',
  'Trim',
  'Concat',
  'ArrayAgg',
  'StringAgg',
  'JSONBAgg',
  'BoolAnd',
  'BoolOr',
  'Extract',
  'ExtractYear',
  'ExtractMonth',
  'ExtractDay',
  'Trunc',
  'TruncDate',
  'TruncDay',
  'TruncMonth',
  'TruncYear',
  'Abs',
  'Round',
  'NullIf',
]);

/** Keyword arguments (and dict keys, as in `fieldsets`) whose strings are field names. */
const FIELD_LIST_KEYWORDS = new Set([
  'fields',
  'exclude',
  'update_fields',
  'field_name',
  'source',
  'order_by',
  'ordering',
  'unique_for_date',
  'lookup_field',
  'slug_field',
  'to_field',
  'fk_name',
]);

/** Names assigned a list (or a single name) of fields: admin options, form/serializer Meta, model Meta. */
const FIELD_LIST_NAMES = new Set([
  'fields',
  'exclude',
  'list_display',
  'list_display_links',
  'list_editable',
  'list_filter',
  'list_select_related',
  'readonly_fields',
  'read_only_fields',
  'write_only_fields',
  'search_fields',
  'ordering',
  'ordering_fields',
  'filterset_fields',
  'filter_fields',
  'raw_id_fields',
  'autocomplete_fields',
  'filter_horizontal',
  'filter_vertical',
  'sortable_by',
  'date_hierarchy',
  'unique_together',
  'index_together',
  'required_fields',
  'REQUIRED_FIELDS',
  'USERNAME_FIELD',
  'EMAIL_FIELD',
  'lookup_field',
  'get_latest_by',
  'order_with_respect_to',
]);

/** Names and keywords assigned a dict keyed by field name. */
const FIELD_KEYED_DICTS = new Set([
  'extra_kwargs',
  'prepopulated_fields',
  'radio_fields',
  'formfield_overrides',
  'widgets',
  'labels',
  'help_texts',
  'error_messages',
  'field_classes',
  'defaults',
  'create_defaults',
]);

/** Calls that take raw SQL: the DB-API cursor, `Manager.raw()`, `RawSQL`, `QuerySet.extra()`. */
const RAW_SQL_CALLEES = new Set(['execute', 'executemany', 'raw', 'RawSQL', 'extra']);

/** Whether a source calls any raw-SQL function: only then can a prose-looking string be SQL. */
export function mayCallRawSql(source: string): boolean {
  return /\b(?:execute|executemany|raw|RawSQL|extra)\s*\(/.test(source);
}

/** Calls whose string argument names a model. */
const MODEL_NAME_CALLEES = new Set(['ForeignKey', 'OneToOneField', 'ManyToManyField', 'ForeignObject', 'get_model']);
const MODEL_NAME_KEYWORDS = new Set(['to', 'through', 'model']);

/** A field path as Django reads it: `quantity`, `order__quantity__gte`, DRF's `order.quantity`. */
const FIELD_PATH = /^[A-Za-z_]\w*(?:(?:__|\.)[A-Za-z_]\w*)*$/;

/** Classifies the occurrence of a field name at `index` (length `name.length`), or null when it is not a reference. */
export function classifyFieldOccurrence(
  root: SyntaxNode,
  index: number,
  name: string,
  model: string,
  definitions = false,
): ReferenceKind | null {
  const node = root.descendantForIndex(index, index + name.length);
  if (!node) return null;
  switch (node.type) {
    case 'identifier': {
      const parent = node.parent;
      if (!parent) return null;
      if (parent.type === 'attribute' && sameNode(parent.childForFieldName('attribute'), node)) {
        return node.text === name ? 'attribute' : null;
      }
      if (parent.type === 'keyword_argument' && sameNode(parent.childForFieldName('name'), node)) {
        return pathNames(node.text, name) ? 'lookup' : null;
      }
      if (definitions && node.text === name && isClassAttributeOf(node, model)) return 'definition';
      if (node.text === name && isDeclaredField(node)) return 'declared-field';
      // Bare names are variables, parameters, or the field's own definition in its class body.
      return null;
    }
    case 'string_content':
    case 'string': {
      const string = node.type === 'string' ? node : node.parent;
      if (!string || string.type !== 'string') return null;
      // Raw SQL names columns as words anywhere in the text, f-strings included.
      if (node.type === 'string_content' && isRawSql(string)) return 'raw-sql';
      const value = stringValue(string);
      if (value === null || !pathNames(stripOrderingPrefix(value), name)) return null;
      return fieldStringContext(string) ?? fieldListMethodContext(string);
    }
    default:
      // Comments, and everything else that is not a name or a plain string.
      return null;
  }
}

/** Classifies the occurrence of a model's class name (`Shipment`) at `index`, or null. */
export function classifyModelOccurrence(
  root: SyntaxNode,
  index: number,
  name: string,
  app: string,
  definitions = false,
): ReferenceKind | null {
  const node = root.descendantForIndex(index, index + name.length);
  if (!node) return null;
  if (node.type === 'identifier') {
    if (node.text !== name) return null;
    const parent = node.parent;
    if (!parent) return null;
    // The definition itself, another class's method named the same, or a keyword that happens to match.
    if ((parent.type === 'class_definition' || parent.type === 'function_definition') && sameNode(parent.childForFieldName('name'), node)) {
      return definitions && parent.type === 'class_definition' && parent.parent?.type === 'module' ? 'definition' : null;
    }
    if (parent.type === 'keyword_argument' && sameNode(parent.childForFieldName('name'), node)) return null;
    if (parent.type === 'parameters' || parent.type === 'default_parameter' || parent.type === 'typed_parameter') return null;
    return 'model-name';
  }
  if (node.type === 'string_content' || node.type === 'string') {
    const string = node.type === 'string' ? node : node.parent;
    if (!string || string.type !== 'string') return null;
    const value = stringValue(string);
    if (value === null) return null;
    if (isDocstring(string)) return null;
    // "shop.Shipment" names the model wherever it appears (Django matches the model part case-insensitively).
    if (value.toLowerCase() === `${app}.${name}`.toLowerCase() && value.startsWith(`${app}.`)) return 'model-string';
    if (value === name && modelStringContext(string)) return 'model-string';
    return null;
  }
  return null;
}

/** `quantity` in `quantity = models.IntegerField()` directly in the body of `class <model>(...)`. */
function isClassAttributeOf(identifier: SyntaxNode, model: string): boolean {
  const assignment = identifier.parent;
  if (assignment?.type !== 'assignment' || !sameNode(assignment.childForFieldName('left'), identifier)) return false;
  const block = assignment.parent?.parent;
  const cls = block?.parent;
  return block?.type === 'block' && cls?.type === 'class_definition' && cls.childForFieldName('name')?.text === model;
}

function sameNode(a: SyntaxNode | null, b: SyntaxNode): boolean {
  return a !== null && a.startIndex === b.startIndex && a.endIndex === b.endIndex;
}

/**
 * Whether a plain string literal's text (as written between its quotes) could be read by Django as
 * naming the target: the lexical shortcut's test. Escapes make it say yes, to be safe.
 */
export function stringMayName(text: string, target: { name: string; app: string; kind: 'field' | 'model' }, fileHasRawSql: () => boolean): boolean {
  if (text.includes('\\')) return true;
  if (target.kind === 'field') return pathNames(stripOrderingPrefix(text), target.name) || fileHasRawSql();
  return text === target.name || text.toLowerCase() === `${target.app}.${target.name}`.toLowerCase();
}

/** True when `path` is a field path with `name` as one of its parts. */
function pathNames(path: string, name: string): boolean {
  if (!FIELD_PATH.test(path)) return false;
  return path.split(/__|\./).includes(name);
}

/** `-quantity` (descending) and `?` in order_by; `^`, `=`, `@`, `$` in search_fields. */
function stripOrderingPrefix(value: string): string {
  return value.replace(/^[-+?^=@$]/, '');
}

/** The value of a plain string literal, or null for f-strings, byte strings and concatenations. */
function stringValue(string: SyntaxNode): string | null {
  let value = '';
  for (const child of string.namedChildren) {
    if (!child) continue;
    if (child.type === 'string_content') value += child.text;
    else if (child.type === 'interpolation' || child.type === 'escape_sequence') return null;
  }
  const start = string.child(0);
  if (start && /b/i.test(start.text)) return null;
  return value;
}

function isDocstring(string: SyntaxNode): boolean {
  return string.parent?.type === 'expression_statement';
}

/** Name of the function a call calls: `values` for `qs.values(...)`, `F` for `F(...)`. */
function calleeName(call: SyntaxNode): string | null {
  const fn = call.childForFieldName('function');
  if (!fn) return null;
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? null;
  return null;
}

/** The name an assignment assigns to: `list_display`, `self.fields` → `fields`. */
function assignedName(assignment: SyntaxNode): string | null {
  const left = assignment.childForFieldName('left');
  if (!left) return null;
  if (left.type === 'identifier') return left.text;
  if (left.type === 'attribute') return left.childForFieldName('attribute')?.text ?? null;
  return null;
}

const CONTAINERS = new Set(['list', 'tuple', 'set', 'parenthesized_expression', 'expression_list']);

/**
 * A string passed as SQL: an argument (or inside a list, a concatenation, or a `%` formatting) of
 * a raw-SQL call. Assigned to a variable first (`sql = "..."; cursor.execute(sql)`) it is not
 * followed: the lexer and this rule agree on that, so the shortcut stays sound.
 */
function isRawSql(string: SyntaxNode): boolean {
  let node: SyntaxNode = string;
  for (let depth = 0; depth < 6; depth++) {
    const parent = node.parent;
    if (!parent) return false;
    if (CONTAINERS.has(parent.type) || parent.type === 'concatenated_string' || parent.type === 'binary_operator') {
      node = parent;
      continue;
    }
    if (parent.type === 'keyword_argument') {
      node = parent;
      continue;
    }
    if (parent.type !== 'argument_list') return false;
    const call = parent.parent;
    const callee = call?.type === 'call' ? calleeName(call) : null;
    return callee !== null && RAW_SQL_CALLEES.has(callee);
  }
  return false;
}

/** Walks up from a string that reads like a field path and says whether Django would read it as one. */
function fieldStringContext(string: SyntaxNode): ReferenceKind | null {
  let node: SyntaxNode = string;
  // Field lists nest (fieldsets: [(title, {"fields": [...]})]), but never deeply.
  for (let depth = 0; depth < 8; depth++) {
    const parent = node.parent;
    if (!parent) return null;
    if (CONTAINERS.has(parent.type)) {
      node = parent;
      continue;
    }
    switch (parent.type) {
      case 'argument_list': {
        const call = parent.parent;
        const callee = call?.type === 'call' ? calleeName(call) : null;
        return callee && FIELD_PATH_CALLEES.has(callee) ? 'orm-string' : null;
      }
      case 'keyword_argument': {
        const keyword = parent.childForFieldName('name')?.text ?? '';
        return FIELD_LIST_KEYWORDS.has(keyword) ? 'field-list' : null;
      }
      case 'assignment':
      case 'augmented_assignment': {
        if (!sameNode(parent.childForFieldName('right'), node)) return null;
        const assigned = assignedName(parent);
        return assigned && FIELD_LIST_NAMES.has(assigned) ? 'field-list' : null;
      }
      case 'pair': {
        if (sameNode(parent.childForFieldName('key'), node)) return fieldKeyedDictContext(parent.parent);
        // {"fields": [...]} inside fieldsets, or a dict spelled like keyword arguments.
        const key = parent.childForFieldName('key');
        const keyValue = key?.type === 'string' ? stringValue(key) : null;
        return keyValue !== null && FIELD_LIST_KEYWORDS.has(keyValue) ? 'field-list' : null;
      }
      default:
        return null;
    }
  }
  return null;
}

/** A string key of a dict: a field name when the dict is keyed by fields or splatted into a lookup. */
function fieldKeyedDictContext(dictionary: SyntaxNode | null): ReferenceKind | null {
  const parent = dictionary?.parent;
  if (!dictionary || dictionary.type !== 'dictionary' || !parent) return null;
  // filter(**{"quantity__gte": 3})
  if (parent.type === 'dictionary_splat') return 'lookup';
  if (parent.type === 'keyword_argument') {
    return FIELD_KEYED_DICTS.has(parent.childForFieldName('name')?.text ?? '') ? 'field-list' : null;
  }
  if (parent.type === 'assignment' && sameNode(parent.childForFieldName('right'), dictionary)) {
    const assigned = assignedName(parent);
    if (assigned && FIELD_KEYED_DICTS.has(assigned)) return 'field-list';
    // line_data = {"quantity": ...}; Line.objects.create(**line_data)
    const left = parent.childForFieldName('left');
    return left?.type === 'identifier' && isSplatInScope(parent, left.text) ? 'lookup' : null;
  }
  return null;
}

/** Whether `**name` is passed to a call in the function (or module) around `node`. */
function isSplatInScope(node: SyntaxNode, name: string): boolean {
  let scope: SyntaxNode | null = node.parent;
  while (scope && scope.type !== 'function_definition' && scope.type !== 'module') scope = scope.parent;
  if (!scope) return false;
  return scope.descendantsOfType('dictionary_splat').some((splat) => {
    const value = splat?.namedChild(0);
    return value?.type === 'identifier' && value.text === name && splat?.parent?.type === 'argument_list';
  });
}

/** Methods of admin classes that return a field list: `get_fields`, `get_list_display`, ... */
const FIELD_LIST_METHODS = new Set([...FIELD_LIST_NAMES, 'fieldsets', 'prepopulated_fields'].map((name) => `get_${name}`));

/** A string in a list or tuple literal inside an admin's `get_fields()`-style method. */
function fieldListMethodContext(string: SyntaxNode): ReferenceKind | null {
  const container = string.parent;
  if (!container || !['list', 'tuple', 'set'].includes(container.type)) return null;
  for (let node = container.parent; node; node = node.parent) {
    if (node.type === 'function_definition') {
      const name = node.childForFieldName('name')?.text ?? '';
      return FIELD_LIST_METHODS.has(name) && node.parent?.parent?.type === 'class_definition' ? 'field-list' : null;
    }
    if (node.type === 'class_definition' || node.type === 'lambda') return null;
  }
  return null;
}

/**
 * `quantity = ...` in the body of a class with `class Meta: model = ...` (a factory, a
 * ModelSerializer, a ModelForm, a FilterSet): it stands for the model's field of that name, unless
 * it says it reads another one (`source=`, `field_name=`) or computes its value (SerializerMethodField).
 */
function isDeclaredField(identifier: SyntaxNode): boolean {
  const assignment = identifier.parent;
  if (assignment?.type !== 'assignment' || !sameNode(assignment.childForFieldName('left'), identifier)) return false;
  const block = assignment.parent?.parent;
  const cls = block?.parent;
  if (block?.type !== 'block' || cls?.type !== 'class_definition') return false;
  const meta = cls.childForFieldName('body')?.namedChildren.find((statement) => statement?.type === 'class_definition' && statement.childForFieldName('name')?.text === 'Meta');
  const hasModel = meta?.childForFieldName('body')?.namedChildren.some((statement) => {
    const inner = statement?.type === 'expression_statement' ? statement.namedChild(0) : null;
    return inner?.type === 'assignment' && inner.childForFieldName('left')?.text === 'model';
  });
  if (!hasModel) return false;
  const value = assignment.childForFieldName('right');
  if (value?.type === 'call') {
    const callee = calleeName(value) ?? '';
    if (/MethodField$/.test(callee)) return false;
    const keywords = value.childForFieldName('arguments')?.namedChildren.filter((arg) => arg?.type === 'keyword_argument').map((arg) => arg!.childForFieldName('name')?.text) ?? [];
    if (keywords.includes('source') || keywords.includes('field_name')) return false;
  }
  return true;
}

/** `ForeignKey("Shipment")`, `to="Shipment"`, `get_model("shop", "Shipment")`, `__all__ = ["Shipment"]`. */
function modelStringContext(string: SyntaxNode): boolean {
  let node: SyntaxNode = string;
  for (let depth = 0; depth < 4; depth++) {
    const parent = node.parent;
    if (!parent) return false;
    if (CONTAINERS.has(parent.type)) {
      node = parent;
      continue;
    }
    if (parent.type === 'argument_list') {
      const call = parent.parent;
      const callee = call?.type === 'call' ? calleeName(call) : null;
      return callee !== null && MODEL_NAME_CALLEES.has(callee);
    }
    if (parent.type === 'keyword_argument') return MODEL_NAME_KEYWORDS.has(parent.childForFieldName('name')?.text ?? '');
    if (parent.type === 'assignment') return assignedName(parent) === '__all__';
    return false;
  }
  return false;
}
