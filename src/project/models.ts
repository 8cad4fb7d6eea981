/**
 * Reads Django models out of Python source with tree-sitter: which classes are models, their
 * fields (with every property the plans rely on), Meta, methods and other attributes.
 * Django's rules are followed where they decide columns and tables; anything dynamic
 * (fields added in loops, models built by factories) is out of reach and simply not seen.
 */
import {
  assignmentOf,
  bodyStatements,
  callArguments,
  indentationAt,
  lastNamePart,
  moduleClasses,
  outerDefinition,
  stringValue,
  unwrapDecorated,
} from '../python/edit.js';
import { assertParses, positionOf, type SyntaxNode, type SyntaxTree } from '../python/parser.js';
import type { DjangoField, DjangoModel } from './types.js';

/** A field statement in a class body, with the nodes an editor needs. */
export interface FieldSyntax {
  field: DjangoField;
  /** The `expression_statement` (range excludes a trailing comment). */
  statement: SyntaxNode;
  /** The assigned name (`quantity`). */
  target: SyntaxNode;
  /** The field call (`models.IntegerField(...)`). */
  call: SyntaxNode;
}

/** One module-level class as written, before deciding whether it is a model. */
export interface ClassSyntax {
  name: string;
  file: string;
  node: SyntaxNode;
  bases: string[];
  /** `class Meta: abstract = True`. */
  abstract: boolean;
  /** `class Meta: db_table = "..."`, decoded. */
  dbTable: string | null;
  fields: FieldSyntax[];
  /** Class-level names assigned to something that is not a field (`objects`, `field = None`). */
  otherAttributes: string[];
  methods: string[];
  line: number;
  bodyIndent: string;
  /** The source of `class Meta:` in the body, or null. */
  metaText: string | null;
  /** `objects = BookQuerySet.as_manager()`, BookQuerySet a class defined above in the same module: its name. */
  objectsQuerySet: string | null;
}

/** `Name` of `objects = Name.as_manager()`, when Name is a module-level class defined above `cls`. */
function objectsQuerySetOf(statements: SyntaxNode[], cls: SyntaxNode): string | null {
  const objects = statements.map(assignmentOf).find((assignment) => assignment?.childForFieldName('left')?.text === 'objects');
  const value = objects?.childForFieldName('right');
  const match = value?.type === 'call' ? /^([A-Za-z_]\w*)\.as_manager$/.exec(value.childForFieldName('function')?.text ?? '') : null;
  if (!match || (value!.childForFieldName('arguments')?.namedChildren.length ?? 0) > 0) return null;
  const name = match[1]!;
  const outer = outerDefinition(cls);
  const above = outer.parent?.namedChildren.filter((child) => child !== null && child.endIndex <= outer.startIndex) ?? [];
  return above.some((child) => unwrapDecorated(child!).type === 'class_definition' && unwrapDecorated(child!).childForFieldName('name')?.text === name) ? name : null;
}

const RELATION_CLASSES = /(?:ForeignKey|OneToOneField|ManyToManyField)$/;

/** True for a call that defines a field: its callee ends in `Field`, `ForeignKey` or `OneToOneField`. */
function isFieldCallee(callee: string): boolean {
  return /(?:Field|ForeignKey)$/.test(lastNamePart(callee));
}

/** Reads the field defined by a class-body statement, or null when the statement is not a field. */
export function readFieldStatement(statement: SyntaxNode): FieldSyntax | null {
  const assignment = assignmentOf(statement);
  if (!assignment) return null;
  const target = assignment.childForFieldName('left');
  const call = assignment.childForFieldName('right');
  if (!target || target.type !== 'identifier' || !call || call.type !== 'call') return null;
  const calleeNode = call.childForFieldName('function');
  if (!calleeNode || !['identifier', 'attribute'].includes(calleeNode.type)) return null;
  const callee = calleeNode.text;
  if (!isFieldCallee(callee)) return null;

  const fieldClass = lastNamePart(callee);
  const args: string[] = [];
  const kwargs: Record<string, string> = {};
  const kwargNodes: Record<string, SyntaxNode> = {};
  for (const argument of callArguments(call)) {
    if (argument.type === 'keyword_argument') {
      const name = argument.childForFieldName('name')!.text;
      const value = argument.childForFieldName('value')!;
      kwargs[name] = value.text;
      kwargNodes[name] = value;
    } else if (argument.type !== 'list_splat' && argument.type !== 'dictionary_splat') {
      args.push(argument.text);
    }
  }

  const name = target.text;
  const isGeneric = fieldClass === 'GenericForeignKey';
  const isForeignKey = fieldClass.endsWith('ForeignKey') && !isGeneric;
  const isOneToOne = fieldClass.endsWith('OneToOneField');
  const isManyToMany = fieldClass.endsWith('ManyToManyField');
  const isRelation = RELATION_CLASSES.test(fieldClass) && !isGeneric;
  const flag = (kwarg: string) => kwargs[kwarg] === 'True';

  const dbColumn = kwargNodes['db_column'];
  let column: string;
  if (isManyToMany || isGeneric) {
    // No column of its own: a many-to-many lives in a join table, a generic FK is two other fields.
    column = '';
  } else if (dbColumn) {
    column = stringValue(dbColumn) ?? dbColumn.text;
  } else if (isForeignKey || isOneToOne) {
    column = `${name}_id`;
  } else {
    column = name;
  }

  let onDelete: string | null = null;
  const onDeleteNode = kwargNodes['on_delete'];
  if (onDeleteNode) {
    const handler = onDeleteNode.type === 'call' ? onDeleteNode.childForFieldName('function')! : onDeleteNode;
    onDelete = lastNamePart(handler.text);
  }

  const field: DjangoField = {
    name,
    fieldClass,
    callee,
    column,
    args,
    kwargs,
    nullable: flag('null'),
    unique: flag('unique') || isOneToOne,
    primaryKey: flag('primary_key'),
    dbIndex: flag('db_index') || ((isForeignKey || isOneToOne) && kwargs['db_index'] !== 'False'),
    defaultSource: kwargs['default'] ?? null,
    dbDefaultSource: kwargs['db_default'] ?? null,
    relatedModel: isRelation ? (kwargs['to'] ?? args[0] ?? null) : null,
    onDelete,
    range: { start: statement.startIndex, end: statement.endIndex },
    line: statement.startPosition.row + 1,
    endLine: statement.endPosition.row + 1,
  };
  return { field, statement, target, call };
}

/** Names assigned by a class-body statement (`a = ...`, `a: int = ...`, `a: int`). */
function assignedName(statement: SyntaxNode): string | null {
  const assignment = assignmentOf(statement);
  const target = assignment?.childForFieldName('left');
  return target && target.type === 'identifier' ? target.text : null;
}

function readMeta(meta: SyntaxNode): { abstract: boolean; dbTable: string | null } {
  let abstract = false;
  let dbTable: string | null = null;
  for (const statement of bodyStatements(meta)) {
    const assignment = assignmentOf(statement);
    const value = assignment?.childForFieldName('right');
    if (!value) continue;
    const name = assignedName(statement);
    if (name === 'abstract') abstract = value.text === 'True';
    if (name === 'db_table') dbTable = stringValue(value) ?? value.text;
  }
  return { abstract, dbTable };
}

/** Every module-level class of a parsed file, read as if it were a model. */
export function readClasses(source: string, tree: SyntaxTree, file: string): ClassSyntax[] {
  return moduleClasses(tree.rootNode).map((node) => readClass(source, node, file));
}

export function readClass(source: string, node: SyntaxNode, file: string): ClassSyntax {
  const name = node.childForFieldName('name')!.text;
  const superclasses = node.childForFieldName('superclasses');
  const bases = superclasses
    ? callArguments(superclasses)
        .filter((base) => base.type !== 'keyword_argument')
        .map((base) => base.text)
    : [];
  const fields: FieldSyntax[] = [];
  const otherAttributes: string[] = [];
  const methods: string[] = [];
  let meta = { abstract: false, dbTable: null as string | null };
  let metaText: string | null = null;
  const statements = bodyStatements(node);
  for (const statement of statements) {
    const definition = unwrapDecorated(statement);
    if (definition.type === 'function_definition') {
      methods.push(definition.childForFieldName('name')!.text);
    } else if (definition.type === 'class_definition') {
      if (definition.childForFieldName('name')!.text === 'Meta') {
        meta = readMeta(definition);
        metaText = definition.text;
      }
    } else {
      const field = readFieldStatement(statement);
      if (field) {
        fields.push(field);
      } else {
        const attribute = assignedName(statement);
        if (attribute) otherAttributes.push(attribute);
      }
    }
  }
  const body = node.childForFieldName('body');
  const first = statements[0];
  const classIndent = indentationAt(source, node.startIndex);
  const bodyIndent =
    first && body && positionOf(source, first.startIndex).line > positionOf(source, node.startIndex).line
      ? indentationAt(source, first.startIndex)
      : `${classIndent}    `;
  return {
    name,
    file,
    node,
    bases,
    abstract: meta.abstract,
    dbTable: meta.dbTable,
    fields,
    otherAttributes,
    methods,
    // The `class` line itself, below any decorators: where a reader looks for the model.
    line: node.startPosition.row + 1,
    bodyIndent,
    metaText,
    objectsQuerySet: objectsQuerySetOf(statements, node),
  };
}

function isDjangoModelBase(base: string): boolean {
  return base === 'Model' || base.endsWith('models.Model');
}

/**
 * Decides which classes of one app are models and builds them: a class is a model when a base is
 * `models.Model`/`Model` or another model class of the same app; a concrete model inherits the
 * fields of its abstract bases (theirs first, as Django orders them by creation), minus names it
 * redeclares or sets to something else (`field = None`).
 */
export function resolveModels(classes: ClassSyntax[], label: string, otherApps: ClassSyntax[] = []): DjangoModel[] {
  // Model classes of the other apps, by name: a base imported from another app (`PrimaryModel`).
  const foreignModels = modelClasses(otherApps);
  const modelNames = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const cls of classes) {
      if (modelNames.has(cls.name)) continue;
      if (cls.bases.some((base) => isDjangoModelBase(base) || modelNames.has(lastNamePart(base)) || foreignModels.has(lastNamePart(base)))) {
        modelNames.add(cls.name);
        changed = true;
      }
    }
  }
  const byName = new Map(classes.filter((cls) => modelNames.has(cls.name)).map((cls) => [cls.name, cls]));
  const parentNamed = (name: string) => byName.get(name) ?? foreignModels.get(name);

  const fieldsOf = (cls: ClassSyntax, seen: Set<string>): DjangoField[] => {
    const inherited: DjangoField[] = [];
    for (const base of cls.bases) {
      const parent = parentNamed(lastNamePart(base));
      if (!parent || !parent.abstract || seen.has(parent.name)) continue;
      for (const field of fieldsOf(parent, new Set([...seen, parent.name]))) {
        if (inherited.some((known) => known.name === field.name)) continue;
        // Declared in the base's body: an edit there changes every model that inherits it.
        inherited.push({ ...field, inheritedFrom: field.inheritedFrom ?? { className: parent.name, file: parent.file, line: field.line } });
      }
    }
    const own = cls.fields.map((syntax) => syntax.field);
    const shadowed = new Set([...own.map((field) => field.name), ...cls.otherAttributes, ...cls.methods]);
    return [...inherited.filter((field) => !shadowed.has(field.name)), ...own];
  };

  return [...byName.values()].map((cls) => ({
    name: cls.name,
    file: cls.file,
    dbTable: cls.dbTable ?? `${label}_${cls.name.toLowerCase()}`,
    abstract: cls.abstract,
    bases: cls.bases,
    fields: fieldsOf(cls, new Set([cls.name])),
    methods: cls.methods,
    otherAttributes: cls.otherAttributes,
    objectsQuerySet: cls.objectsQuerySet,
    range: { start: outerDefinition(cls.node).startIndex, end: cls.node.endIndex },
    line: cls.line,
    bodyIndent: cls.bodyIndent,
    metaText: cls.metaText,
  }));
}

/** Classes that are models (by a chain of bases from `models.Model`), by name; the first of a name wins. */
function modelClasses(classes: ClassSyntax[]): Map<string, ClassSyntax> {
  const names = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const cls of classes) {
      if (names.has(cls.name)) continue;
      if (cls.bases.some((base) => isDjangoModelBase(base) || names.has(lastNamePart(base)))) {
        names.add(cls.name);
        changed = true;
      }
    }
  }
  const found = new Map<string, ClassSyntax>();
  for (const cls of classes) if (names.has(cls.name) && !found.has(cls.name)) found.set(cls.name, cls);
  return found;
}

/** The models of one file on its own (abstract bases from other files of the app are not seen). */
export function modelsFromSource(source: string, file: string, label: string): DjangoModel[] {
  return resolveModels(readClasses(source, assertParses(source, file), file), label);
}
