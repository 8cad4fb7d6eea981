/**
 * Which model a template's `{{ line.quantity }}` refers to. A template variable is attributed when
 * what binds it says which model it holds:
 * - its loop or `with`/`set`: `{% for line in order.lines.all %}`, followed through the relations and
 *   the model methods the steps call (`basket.all_lines`);
 * - the views that render the template: `template_name` (or `get_template_names()`, or
 *   `render(request, "<name>", context)`) with the view's `model`/`queryset` (`object`,
 *   `context_object_name`, `<model>`, `<model>_list`) and the keys `get_context_data()` sets;
 * - its name, when it is a model's (`order`, `basket`), or the attributes the template uses on it
 *   when only one model has them all.
 * Django and Jinja2 syntax: `{% for a, b in x %}`, `{% with a=x %}`, `{% with x as a %}`, `{% set a = x %}`.
 */
import type { SyntaxNode } from '../python/parser.js';
import { plainString } from './model-catalog.js';
import type { PythonModule } from './project-code.js';
import {
  classAssignment,
  classMethod,
  elementOf,
  enclosingClass,
  isUnknown,
  narrowByNames,
  snakeName,
  UNKNOWN,
  union,
  type Atom,
  type ClassRef,
  type Type,
  type TypeEvaluator,
} from './python-types.js';

interface Frame {
  names: string[];
  expression: string;
  kind: 'for' | 'with';
  /** Offset of the tag that opens the frame, and where the frame ends. */
  start: number;
  end: number;
}

/** Queryset methods a template may call by name (no parentheses in Django templates). */
const TEMPLATE_QUERYSET_STEPS = new Set(['all', 'first', 'last', 'filter', 'exclude', 'order_by', 'select_related', 'prefetch_related', 'distinct', 'none', 'reverse', 'iterator']);

export class TemplateAttributor {
  private readonly contexts = new Map<string, Map<string, Type>>();
  /** Template names the Python files spell in string literals, and the files that do: read once, on first need. */
  private views: Map<string, string[]> | null = null;

  constructor(
    private readonly types: TypeEvaluator,
    /** Python files that may name templates (they mention one), for the views that render them. */
    private readonly viewPaths: () => string[],
    private readonly read: (path: string) => string | null,
  ) {}

  /**
   * The models the receiver of the field step at `index` holds (the step starts at `index`, after
   * its dot), with a few words on how; null models when nothing says.
   */
  owners(path: string, source: string, index: number): { models: string[] | null; via: string } {
    const chain = chainBefore(source, index);
    if (!chain) return { models: null, via: 'the variable' };
    const frames = templateFrames(source);
    const type = this.chainType(path, source, frames, chain, index, 0);
    const models = [...new Set(type.flatMap((atom) => (atom.k === 'instance' ? [atom.model] : [])))];
    return { models: models.length > 0 ? models : null, via: `\`${chain}\`` };
  }

  private chainType(path: string, source: string, frames: Frame[], chain: string, at: number, depth: number): Type {
    if (depth > 8) return UNKNOWN;
    const steps = chain
      .replace(/\(\)/g, '')
      .split('.')
      .map((step) => step.trim());
    const root = steps.shift()!;
    let type = this.variableType(path, source, frames, root, at, depth);
    for (const step of steps) {
      if (/^\d+$/.test(step)) type = elementOf(type);
      else type = this.step(type, step);
    }
    return type;
  }

  /** `x.step` as a template resolves it: an attribute, a method called without arguments, a queryset method. */
  private step(type: Type, step: string): Type {
    const results: Type[] = [];
    for (const atom of type) {
      if (atom.k === 'queryset') {
        results.push(TEMPLATE_QUERYSET_STEPS.has(step) ? this.types.methodCall([atom], step, null) : UNKNOWN);
        continue;
      }
      const value = this.types.attribute([atom], step, null);
      const called = value.flatMap((item): Type => (item.k === 'function' ? this.types.returnType(item.module, item.node) : [item]));
      results.push(called);
    }
    return union(...results);
  }

  private variableType(path: string, source: string, frames: Frame[], name: string, at: number, depth: number): Type {
    // The innermost loop or with that binds it.
    const binding = frames.filter((frame) => frame.start < at && at < frame.end && frame.names.includes(name)).sort((a, b) => b.start - a.start)[0];
    if (binding) {
      const expression = binding.expression.split('|')[0]!.trim();
      if (!/^[A-Za-z_][\w.()]*$/.test(expression)) return UNKNOWN;
      const value = this.chainType(path, source, frames, expression, binding.start, depth + 1);
      if (binding.kind === 'with') return value;
      const element = elementOf(value);
      const position = binding.names.indexOf(name);
      if (binding.names.length > 1) {
        return union(...element.map((atom): Type => (atom.k === 'tuple' ? (atom.items[position] ?? UNKNOWN) : UNKNOWN)));
      }
      return element;
    }
    // The views that render this template.
    const context = this.viewContext(path);
    const fromView = context.get(name);
    if (fromView && !isUnknown(fromView)) return fromView;
    // Its name, or what the template does with it.
    const used = [...usedSteps(source, name)];
    const models = narrowByNames(this.types.catalog, null, used, name) ?? this.namedModel(name);
    return models ? models.map((model) => ({ k: 'instance', model }) as Atom) : UNKNOWN;
  }

  private namedModel(name: string): string[] | null {
    const named = [...this.types.catalog.models.values()].filter((model) => snakeName(model.name) === name || `${model.app}_${snakeName(model.name)}` === name);
    return named.length === 1 ? [named[0]!.key] : null;
  }

  private viewsNaming(name: string): string[] {
    if (!this.views) {
      this.views = new Map();
      for (const path of this.viewPaths()) {
        const text = this.read(path);
        if (!text) continue;
        for (const match of text.matchAll(/["']([\w./-]+\.(?:html?|txt|xml|email|jinja2?|j2))["']/g)) {
          const paths = this.views.get(match[1]!) ?? [];
          if (!paths.includes(path)) paths.push(path);
          this.views.set(match[1]!, paths);
        }
      }
    }
    return this.views.get(name) ?? [];
  }

  /** Names and types of the context the views rendering this template give it. */
  private viewContext(path: string): Map<string, Type> {
    const name = templateName(path);
    if (name === null) return new Map();
    const cached = this.contexts.get(name);
    if (cached) return cached;
    const context = new Map<string, Type>();
    this.contexts.set(name, context);
    const add = (key: string, type: Type): void => {
      context.set(key, union(context.get(key) ?? [], type));
    };
    for (const viewPath of this.viewsNaming(name)) {
      const module = this.types.code.module(viewPath);
      if (!module) continue;
      for (const string of module.root.descendantsOfType('string')) {
        if (!string || plainString(string) !== name) continue;
        this.contextFromString(module, string, add);
      }
    }
    return context;
  }

  private contextFromString(module: PythonModule, string: SyntaxNode, add: (key: string, type: Type) => void): void {
    const cls = enclosingClass(string);
    const call = string.parent?.type === 'argument_list' ? string.parent.parent : null;
    if (call?.type === 'call' && /(?:^|\.)(?:render|render_to_response|render_to_string|TemplateResponse|SimpleTemplateResponse)$/.test(call.childForFieldName('function')?.text ?? '')) {
      const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((node): node is SyntaxNode => node !== null && node.type !== 'comment');
      const position = args.indexOf(args.find((arg) => arg.id === string.id)!);
      const keyword = args.find((arg) => arg.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'context')?.childForFieldName('value');
      const context = keyword ?? args[position + 1];
      if (context && context.type !== 'keyword_argument') this.dictContext(module, context, add);
      return;
    }
    if (!cls) return;
    const ref: ClassRef = { module, node: cls };
    const models = this.types.configuredModels(ref);
    if (models.length > 0) {
      const list = /ListView/.test(this.types.ancestry(ref).map((c) => c.node.childForFieldName('superclasses')?.text ?? '').join(' '));
      const objectName = classAssignment(cls, 'context_object_name');
      const named = objectName ? plainString(objectName) : null;
      const atoms = (k: 'instance' | 'queryset'): Type => models.map((model) => ({ k, model }) as Atom);
      if (list) {
        add('object_list', atoms('queryset'));
        for (const model of models) add(`${snakeName(this.types.catalog.model(model)?.name ?? '')}_list`, atoms('queryset'));
        if (named) add(named, atoms('queryset'));
      } else {
        add('object', atoms('instance'));
        for (const model of models) add(snakeName(this.types.catalog.model(model)?.name ?? ''), atoms('instance'));
        if (named) add(named, atoms('instance'));
      }
    }
    for (const c of this.types.ancestry(ref)) {
      const method = classMethod(c.node, 'get_context_data');
      if (method) this.contextDataKeys(c.module, method, add);
      const extra = classAssignment(c.node, 'extra_context');
      if (extra) this.dictContext(c.module, extra, add);
    }
  }

  /** `ctx["lines"] = …`, `ctx.update({…})`, `return {…}` in a `get_context_data()`. */
  private contextDataKeys(module: PythonModule, method: SyntaxNode, add: (key: string, type: Type) => void): void {
    for (const assignment of method.descendantsOfType('assignment')) {
      const left = assignment?.childForFieldName('left');
      const right = assignment?.childForFieldName('right');
      if (left?.type !== 'subscript' || !right) continue;
      const key = left.childForFieldName('subscript');
      const text = key ? plainString(key) : null;
      if (text) add(text, this.types.typeOf(module, right));
    }
    for (const node of method.descendantsOfType(['dictionary'])) {
      if (node) this.dictContext(module, node, add);
    }
  }

  private dictContext(module: PythonModule, node: SyntaxNode, add: (key: string, type: Type) => void): void {
    if (node.type === 'dictionary') {
      for (const pair of node.namedChildren) {
        if (pair?.type !== 'pair') continue;
        const key = pair.childForFieldName('key');
        const value = pair.childForFieldName('value');
        const text = key ? plainString(key) : null;
        if (text && value) add(text, this.types.typeOf(module, value));
      }
      return;
    }
    if (node.type === 'identifier') {
      // context = {...}; context["x"] = ...
      let scope: SyntaxNode | null = node.parent;
      while (scope && scope.type !== 'function_definition') scope = scope.parent;
      if (!scope) return;
      for (const assignment of scope.descendantsOfType('assignment')) {
        const left = assignment?.childForFieldName('left');
        const right = assignment?.childForFieldName('right');
        if (!left || !right) continue;
        if (left.type === 'identifier' && left.text === node.text && right.type === 'dictionary') this.dictContext(module, right, add);
        if (left.type === 'subscript' && left.childForFieldName('value')?.text === node.text) {
          const key = left.childForFieldName('subscript');
          const text = key ? plainString(key) : null;
          if (text) add(text, this.types.typeOf(module, right));
        }
      }
    }
  }
}

/** The template's name as views name it: its path after the `templates/` folder. */
export function templateName(path: string): string | null {
  const parts = path.split('/');
  const at = parts.indexOf('templates');
  return at === -1 || at === parts.length - 1 ? null : parts.slice(at + 1).join('/');
}

/** The variable chain before the step at `index` (`line_qty.line` for `line_qty.line.quantity`). */
function chainBefore(source: string, index: number): string | null {
  let start = index - 1; // the dot
  if (source[start] !== '.') return null;
  while (start > 0 && /[\w.()]/.test(source[start - 1]!)) start--;
  const chain = source.slice(start, index - 1);
  return /^[A-Za-z_]/.test(chain) ? chain : null;
}

/** Attribute steps a template uses right after a name: `{{ line.product }}` → product. */
function usedSteps(source: string, name: string): Set<string> {
  const steps = new Set<string>();
  const pattern = new RegExp(`(?<![\\w.])${name.replace(/[^\w]/g, '')}\\.(\\w+)`, 'g');
  for (const match of source.matchAll(pattern)) steps.add(match[1]!);
  return steps;
}

/** Loops, `with` blocks and `set`s of a template, with where each starts and ends. */
export function templateFrames(source: string): Frame[] {
  const frames: Frame[] = [];
  const open: Frame[] = [];
  const tag = /\{%-?\s*(\w+)([\s\S]*?)-?%\}/g;
  for (let match = tag.exec(source); match; match = tag.exec(source)) {
    const name = match[1]!;
    const body = match[2]!.trim();
    if (name === 'for') {
      const loop = /^(.+?)\s+in\s+(.+?)(?:\s+reversed)?(?:\s+if\s+.*)?(?:\s+recursive)?$/.exec(body);
      if (!loop) continue;
      open.push({ names: loop[1]!.split(',').map((n) => n.trim()), expression: loop[2]!, kind: 'for', start: match.index, end: source.length });
    } else if (name === 'with' || name === 'blocktrans' || name === 'blocktranslate') {
      const frame: Frame = { names: [], expression: '', kind: 'with', start: match.index, end: source.length };
      const legacy = /^(\S+)\s+as\s+(\w+)$/.exec(body);
      const withBody = name === 'with' ? body : (/\bwith\s+(.*?)(?:\s+(?:count|context|trimmed|asvar)\b.*)?$/.exec(body)?.[1] ?? '');
      if (name === 'with' && legacy) frames.push({ ...frame, names: [legacy[2]!], expression: legacy[1]! });
      for (const assignment of withBody.matchAll(/(\w+)\s*=\s*([^\s]+)/g)) frames.push({ ...frame, names: [assignment[1]!], expression: assignment[2]! });
      open.push(frame);
    } else if (name === 'set') {
      const assignment = /^(\w+)\s*=\s*(.+)$/.exec(body);
      if (assignment) frames.push({ names: [assignment[1]!], expression: assignment[2]!, kind: 'with', start: match.index, end: source.length });
    } else if (name === 'endfor' || name === 'endwith' || name === 'endblocktrans' || name === 'endblocktranslate') {
      const kind = name === 'endfor' ? 'for' : 'with';
      for (let i = open.length - 1; i >= 0; i--) {
        if (open[i]!.kind !== kind) continue;
        const frame = open.splice(i, 1)[0]!;
        frame.end = match.index;
        if (kind === 'with') for (const f of frames) if (f.start === frame.start) f.end = match.index;
        if (kind === 'for') frames.push(frame);
        break;
      }
    }
  }
  frames.push(...open.filter((frame) => frame.kind === 'for'));
  return frames;
}
