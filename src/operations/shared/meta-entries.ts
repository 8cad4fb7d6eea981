/**
 * A Meta index or UniqueConstraint beyond plain fields: expressions (`Lower("title")`), covering
 * columns (`include`), operator classes (`opclasses`) and `nulls_distinct`. Each is checked against
 * the model as given, and written as makemigrations writes it (keyword arguments sorted by name),
 * with Django's functions reached through `models` so that neither file needs a new import.
 */
import { fail } from '../../errors.js';
import { firstSyntaxError, parsePython, positionOf } from '../../python/parser.js';
import type { Database, DjangoModel } from '../../project/types.js';
import { pythonString } from './python-literals.js';

/** `django.db.models.functions.__all__` (Django 5.2 and 6.x). */
const FUNCTIONS = new Set(
  (
    'ACos ASin ATan ATan2 Abs Cast Ceil Chr Coalesce Collate Concat ConcatPair Cos Cot CumeDist Degrees DenseRank Exp Extract ' +
    'ExtractDay ExtractHour ExtractIsoWeekDay ExtractIsoYear ExtractMinute ExtractMonth ExtractQuarter ExtractSecond ExtractWeek ' +
    'ExtractWeekDay ExtractYear FirstValue Floor Greatest JSONArray JSONObject LPad LTrim Lag LastValue Lead Least Left Length Ln ' +
    'Log Lower MD5 Mod Now NthValue Ntile NullIf Ord PercentRank Pi Power RPad RTrim Radians Random Rank Repeat Replace Reverse ' +
    'Right Round RowNumber SHA1 SHA224 SHA256 SHA384 SHA512 Sign Sin Sqrt StrIndex Substr Tan Trim Trunc TruncDate TruncDay ' +
    'TruncHour TruncMinute TruncMonth TruncQuarter TruncSecond TruncTime TruncWeek TruncYear Upper'
  ).split(' '),
);

/** Expression classes of `django.db.models` itself. */
const EXPRESSIONS = new Set(['F', 'Value', 'Func', 'ExpressionWrapper', 'Case', 'When', 'Q', 'OrderBy']);

/** The functions whose string arguments are literal values, not field names. */
const VALUES = new Set(['Value']);

export interface MetaEntryExtras {
  /** Positional expressions as Python (`models.functions.Lower("title")`), or null for fields. */
  expressions: string | null;
  /** The fields the expressions name, in order of first use. */
  expressionFields: string[];
  include: string[];
  opclasses: string[];
  /** `nulls_distinct=False`: NULLs count as equal (UniqueConstraint only). */
  nullsNotDistinct: boolean;
}

export interface MetaEntryRequest {
  expressions?: string;
  include?: string;
  opclasses?: string;
  nullsNotDistinct?: boolean;
}

/**
 * `--expressions 'Lower("title"), "-published"'`: the positional arguments of an Index or
 * UniqueConstraint, as Python. Each must parse; each call must be one of Django's functions or
 * expressions; each field name (a bare string, or a string argument of a function other than
 * Value) must be a field of the model.
 */
export function parseExpressions(text: string, model: DjangoModel, flag = '--expressions'): { source: string; fields: string[] } {
  const source = text.trim();
  if (!source) fail(`${flag} is empty; give Django expressions, e.g. ${flag} 'Lower("name")'`);
  const prefix = '__entry__(';
  const tree = parsePython(`${prefix}${source})\n`);
  const error = firstSyntaxError(tree);
  if (error || source.includes('\n')) {
    const at = error ? positionOf(source, Math.max(0, error.startIndex - prefix.length)).column : 1;
    fail(`${flag} "${source}" does not parse as Python arguments (at column ${at}); give Django expressions, e.g. ${flag} 'Lower("name"), "-placed_at"'`);
  }
  const fieldNames = new Set([...model.fields.map((f) => f.name), 'pk', model.django?.autoPk?.name ?? 'id']);
  const fields: string[] = [];
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const offset = prefix.length;
  const top = tree.rootNode.descendantsOfType('call')[0]!;
  const nameField = (raw: string, where: string) => {
    const name = raw.split('__')[0]!;
    if (!fieldNames.has(name)) fail(`${flag} names "${name}" ${where}, which is not a field of ${model.name}; its fields: ${model.fields.map((f) => f.name).join(', ')}`);
    if (!fields.includes(name)) fields.push(name);
  };
  const visit = (node: NonNullable<typeof top>, inValue: boolean) => {
    if (node.type === 'call' && node.id !== top.id) {
      const callee = node.childForFieldName('function')!;
      if (callee.type === 'identifier') {
        const name = callee.text;
        if (FUNCTIONS.has(name)) edits.push({ start: callee.startIndex - offset, end: callee.endIndex - offset, text: `models.functions.${name}` });
        else if (EXPRESSIONS.has(name)) edits.push({ start: callee.startIndex - offset, end: callee.endIndex - offset, text: `models.${name}` });
        else fail(`${flag}: ${name}() is not one of Django's functions or expressions (django.db.models.functions, F, Value, Func, Case, When, Q); write it as models.… or import it in models.py by hand`);
        inValue = VALUES.has(name);
      }
      // The callee of an attribute call (models.functions.Lower, F("x").desc) is left as written.
    }
    if (node.type === 'string' && !inValue) {
      const parent = node.parent;
      const isPositional = parent?.type === 'argument_list';
      if (isPositional) {
        const value = node.text.replace(/^[rbuRBU]*(['"])|(['"])$/g, '');
        // Django reads a bare string among expressions as F(name): "-name" names no field (models.E012).
        if (value.startsWith('-')) fail(`${flag}: "${value}" is not a field name; among expressions, write a descending field as F("${value.slice(1)}").desc()`);
        nameField(value, parent!.parent!.id === top.id ? 'as an expression' : `in ${parent!.parent!.childForFieldName('function')?.text ?? 'a call'}()`);
      }
    }
    for (const child of node.namedChildren) if (child) visit(child, inValue);
  };
  for (const child of top.childForFieldName('arguments')!.namedChildren) if (child) visit(child, false);
  let written = source;
  for (const edit of edits.sort((a, b) => b.start - a.start)) written = written.slice(0, edit.start) + edit.text + written.slice(edit.end);
  if (fields.length === 0) fail(`${flag} "${source}" names no field of ${model.name}; an index on constants indexes nothing`);
  return { source: written, fields };
}

/** `--include a,b`: concrete fields of the model, not already the entry's own. */
export function parseInclude(text: string, model: DjangoModel, keyFields: string[], flag = '--include'): string[] {
  const names = text.split(',').map((part) => part.trim());
  if (names.some((name) => name === '')) fail(`${flag} "${text}" names no field; give field names separated by commas, e.g. ${flag} status,placed_at`);
  for (const name of names) {
    const field = model.fields.find((f) => f.name === name);
    if (!field) fail(`${flag}: ${model.name} has no field "${name}"; its fields: ${model.fields.map((f) => f.name).join(', ')}`);
    if (field.fieldClass === 'ManyToManyField' || field.column === '') fail(`${flag}: ${model.name}.${name} has no column of its own and cannot be included`);
    if (keyFields.includes(name)) fail(`${flag}: ${name} is one of the key fields already`);
  }
  return names;
}

/** `--opclasses a,b`: one PostgreSQL operator class per field, in order. */
export function parseOpclasses(text: string, fieldCount: number, flag = '--opclasses'): string[] {
  const names = text.split(',').map((part) => part.trim());
  const bad = names.find((name) => !/^[a-z_][a-z0-9_]*$/.test(name));
  if (bad !== undefined) fail(`${flag}: "${bad}" is not an operator class name (e.g. varchar_pattern_ops, text_pattern_ops)`);
  if (names.length !== fieldCount) fail(`${flag} gives ${names.length} operator class${names.length === 1 ? '' : 'es'} for ${fieldCount} field${fieldCount === 1 ? '' : 's'}; give one per field of --fields, in order`);
  return names;
}

/**
 * The extras of a request, checked together: PostgreSQL's only (elsewhere Django leaves them
 * out), opclasses with fields, and a name (Django names no entry on expressions).
 */
export function metaEntryExtras(request: MetaEntryRequest, model: DjangoModel, context: { database: Database; fields: string[] | null; nameGiven: boolean; kind: 'index' | 'constraint' }): MetaEntryExtras {
  const postgresOnly = (flag: string) => {
    if (context.database !== 'postgresql') fail(`${flag} is PostgreSQL's; Django leaves it out on ${context.database}: leave it out too`);
  };
  if (request.expressions !== undefined && context.fields !== null) fail('give --fields or --expressions, not both');
  const parsed = request.expressions !== undefined ? parseExpressions(request.expressions, model) : null;
  if (parsed && !context.nameGiven) fail(`--expressions needs --name: Django gives no default name to ${context.kind === 'index' ? 'an index' : 'a constraint'} on expressions`);
  const keyFields = context.fields ?? parsed?.fields ?? [];
  if (request.include !== undefined) postgresOnly('--include');
  if (request.opclasses !== undefined) {
    postgresOnly('--opclasses');
    if (context.fields === null) fail('--opclasses goes with --fields: one operator class per field, in order');
  }
  if (request.nullsNotDistinct) postgresOnly('--nulls-not-distinct');
  return {
    expressions: parsed?.source ?? null,
    expressionFields: parsed?.fields ?? [],
    include: request.include !== undefined ? parseInclude(request.include, model, keyFields) : [],
    opclasses: request.opclasses !== undefined ? parseOpclasses(request.opclasses, context.fields!.length) : [],
    nullsNotDistinct: request.nullsNotDistinct === true,
  };
}

/**
 * `models.Index(...)` or `models.UniqueConstraint(...)` as makemigrations writes it: expressions
 * first, then the keyword arguments sorted by name.
 */
export function metaEntrySource(
  className: 'Index' | 'UniqueConstraint',
  entry: { fields: string[] | null; name: string; condition: string | null; extras: MetaEntryExtras | null },
): string {
  const extras = entry.extras;
  const list = (names: string[]) => `[${names.map(pythonString).join(', ')}]`;
  const keywords: Array<[string, string]> = [
    ...(entry.condition ? [['condition', entry.condition] as [string, string]] : []),
    ...(entry.fields ? [['fields', list(entry.fields)] as [string, string]] : []),
    ...(extras && extras.include.length > 0 ? [['include', list(extras.include)] as [string, string]] : []),
    ['name', pythonString(entry.name)],
    ...(extras?.nullsNotDistinct ? [['nulls_distinct', 'False'] as [string, string]] : []),
    ...(extras && extras.opclasses.length > 0 ? [['opclasses', list(extras.opclasses)] as [string, string]] : []),
  ];
  const parts = [...(extras?.expressions ? [extras.expressions] : []), ...keywords.map(([key, value]) => `${key}=${value}`)];
  return `models.${className}(${parts.join(', ')})`;
}

/** The extras a request gives (for plan.json's inputs, and to refuse them on a field's own entry). */
export function extrasGiven(extras: MetaEntryRequest | undefined): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(extras ?? {}).filter(([, value]) => value !== undefined && value !== false)) as Record<string, string | boolean>;
}
