/**
 * The project's Python code as the attribution of references needs it: modules by dotted name,
 * parsed on demand (each file once per scan), and what each module binds at its top level
 * (classes, functions, assignments, imports). Only names the code itself spells are followed:
 * `from x import Y`, `import x.y as z`, star imports, relative imports; nothing is executed.
 */
import { parsePython, type SyntaxNode, type SyntaxTree } from '../python/parser.js';

export type Binding =
  | { kind: 'class'; node: SyntaxNode }
  | { kind: 'function'; node: SyntaxNode }
  /** `name = value`, or the `index`-th name of `a, b = value`. */
  | { kind: 'value'; node: SyntaxNode; index?: number }
  /** `from module import name` (`name` null: `import module as x`, the module itself). */
  | { kind: 'import'; module: string; name: string | null };

export interface PythonModule {
  path: string;
  /** `oscar.apps.order.models`, or null when the file is not importable by a dotted name. */
  dotted: string | null;
  source: string;
  root: SyntaxNode;
  /** Names bound at module level (in if/try/with blocks too), each with every binding. */
  bindings: Map<string, Binding[]>;
  /** Modules star-imported (`from x import *`), dotted and absolute. */
  starImports: string[];
}

/** What a name means in a module. */
export type PythonSymbol =
  | { kind: 'class'; module: PythonModule; node: SyntaxNode }
  | { kind: 'function'; module: PythonModule; node: SyntaxNode }
  | { kind: 'value'; module: PythonModule; node: SyntaxNode; index?: number }
  | { kind: 'module'; dotted: string }
  /** A name from outside the project: `django.db.models.Model`. */
  | { kind: 'external'; dotted: string };

export class ProjectCode {
  private readonly modules = new Map<string, PythonModule | null>();
  private readonly trees: SyntaxTree[] = [];
  private readonly pathByDotted = new Map<string, string>();
  private readonly dottedByPath = new Map<string, string>();
  readonly paths: ReadonlySet<string>;

  /**
   * `pythonPaths`: every Python file of the project (relative posix paths); `read` returns a file's
   * text (null when it cannot be read).
   */
  constructor(
    pythonPaths: Iterable<string>,
    private readonly read: (path: string) => string | null,
  ) {
    this.paths = new Set(pythonPaths);
    const packages = new Set<string>();
    for (const path of this.paths) if (path === '__init__.py' || path.endsWith('/__init__.py')) packages.add(dirOf(path));
    const dottedName = dottedNames(packages);
    for (const path of this.paths) {
      const dotted = dottedName(path);
      if (dotted === null) continue;
      this.dottedByPath.set(path, dotted);
      // Two files claiming one name (a src/ layout and a copy): the first listed wins.
      if (!this.pathByDotted.has(dotted)) this.pathByDotted.set(dotted, path);
    }
  }

  /** The module of a project file, parsed on first use; null when it is not a readable Python file. */
  module(path: string): PythonModule | null {
    if (this.modules.has(path)) return this.modules.get(path)!;
    const source = this.paths.has(path) ? this.read(path) : null;
    let module: PythonModule | null = null;
    if (source !== null) {
      const tree = parsePython(source);
      this.trees.push(tree);
      module = { path, dotted: this.dottedByPath.get(path) ?? null, source, root: tree.rootNode, bindings: new Map(), starImports: [] };
      readBindings(module, module.root);
    }
    this.modules.set(path, module);
    return module;
  }

  moduleNamed(dotted: string): PythonModule | null {
    if (isDjango(dotted)) return null;
    const path = this.pathByDotted.get(dotted);
    return path === undefined ? null : this.module(path);
  }

  dottedOf(path: string): string | null {
    return this.dottedByPath.get(path) ?? null;
  }

  /** The file of a module of the project (never Django's own), or null. */
  pathOf(dotted: string): string | null {
    return isDjango(dotted) ? null : (this.pathByDotted.get(dotted) ?? null);
  }

  /** The absolute dotted name of a module imported as written (`..models`) from the file at `path`. */
  absoluteImport(path: string, written: string): string | null {
    return resolveRelative(this.dottedByPath.get(path) ?? null, path.endsWith('__init__.py'), written);
  }

  /** A file of Django's own package (`django.*`). */
  isDjangoPath(path: string): boolean {
    const dotted = this.dottedByPath.get(path);
    return dotted !== undefined && isDjango(dotted);
  }

  hasModule(dotted: string): boolean {
    return !isDjango(dotted) && this.pathByDotted.has(dotted);
  }

  /** What `name` means at the top level of `module`: its own definitions, then imports, then star imports. */
  resolve(module: PythonModule, name: string, depth = 0): PythonSymbol[] {
    if (depth > 12) return [];
    const found: PythonSymbol[] = [];
    for (const binding of module.bindings.get(name) ?? []) {
      if (binding.kind === 'class' || binding.kind === 'function') found.push({ kind: binding.kind, module, node: binding.node });
      else if (binding.kind === 'value') found.push({ kind: 'value', module, node: binding.node, ...(binding.index === undefined ? {} : { index: binding.index }) });
      else found.push(...this.resolveImport(binding.module, binding.name, depth + 1));
    }
    if (found.length > 0) return found;
    for (const star of module.starImports) {
      const target = this.moduleNamed(star);
      if (!target) continue;
      const symbols = this.resolve(target, name, depth + 1);
      if (symbols.length > 0) return symbols;
    }
    return [];
  }

  /** `from <dotted> import <name>`, or the module itself when `name` is null. */
  resolveImport(dotted: string, name: string | null, depth = 0): PythonSymbol[] {
    if (name === null) return [{ kind: 'module', dotted }];
    const target = this.moduleNamed(dotted);
    if (target) {
      const symbols = this.resolve(target, name, depth + 1);
      if (symbols.length > 0) return symbols;
    }
    // A submodule imported by name (`from oscar.apps.order import models`).
    if (this.hasModule(`${dotted}.${name}`)) return [{ kind: 'module', dotted: `${dotted}.${name}` }];
    return target ? [] : [{ kind: 'external', dotted: `${dotted}.${name}` }];
  }

  /** A dotted expression (`models.Model`, `admin.site`) resolved from the module's names, as far as it goes. */
  resolveDotted(module: PythonModule, expression: SyntaxNode): PythonSymbol[] {
    if (expression.type === 'identifier') return this.resolve(module, expression.text);
    if (expression.type !== 'attribute') return [];
    const object = expression.childForFieldName('object');
    const attribute = expression.childForFieldName('attribute')?.text;
    if (!object || !attribute) return [];
    const found: PythonSymbol[] = [];
    for (const symbol of this.resolveDotted(module, object)) {
      if (symbol.kind === 'module') found.push(...this.resolveImport(symbol.dotted, attribute));
      else if (symbol.kind === 'external') found.push({ kind: 'external', dotted: `${symbol.dotted}.${attribute}` });
    }
    return found;
  }

  /** Frees the parse trees (they live in wasm memory). */
  dispose(): void {
    for (const tree of this.trees) tree.delete();
    this.trees.length = 0;
    this.modules.clear();
  }
}

/**
 * Django itself is never followed, even when its source is in the tree (a vendored copy): its names
 * (`models.Model`, `F`, `get_object_or_404`) are known by name, and following them would parse the ORM.
 */
function isDjango(dotted: string): boolean {
  return dotted === 'django' || dotted.startsWith('django.');
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/**
 * The dotted module name of a file: the packages (folders with `__init__.py`) above it, then its
 * name; null when one of them is no Python name. A folder's is worked out once, for all its files.
 */
function dottedNames(packages: Set<string>): (path: string) => string | null {
  const ofFolder = new Map<string, string | null>();
  /** The folder's dotted name, '' when it is no package (its files are top-level modules). */
  const folder = (dir: string): string | null => {
    if (dir === '' || !packages.has(dir)) return '';
    let dotted = ofFolder.get(dir);
    if (dotted === undefined) {
      const name = dir.slice(dir.lastIndexOf('/') + 1);
      const above = folder(dirOf(dir));
      dotted = above === null || !PYTHON_NAME.test(name) ? null : above === '' ? name : `${above}.${name}`;
      ofFolder.set(dir, dotted);
    }
    return dotted;
  };
  return (path) => {
    if (!path.endsWith('.py')) return null;
    const above = folder(dirOf(path));
    if (above === null) return null;
    if (path === '__init__.py' || path.endsWith('/__init__.py')) return above === '' ? null : above;
    const name = path.slice(path.lastIndexOf('/') + 1, -3);
    return PYTHON_NAME.test(name) ? (above === '' ? name : `${above}.${name}`) : null;
  };
}

const PYTHON_NAME = /^[A-Za-z_]\w*$/;

/** Top-level bindings of a module, looking into if/try/with/for blocks at module level. */
function readBindings(module: PythonModule, block: SyntaxNode): void {
  const bind = (name: string, binding: Binding): void => {
    const list = module.bindings.get(name);
    if (list) list.push(binding);
    else module.bindings.set(name, [binding]);
  };
  for (const statement of block.namedChildren) {
    if (!statement) continue;
    switch (statement.type) {
      case 'decorated_definition': {
        const definition = statement.childForFieldName('definition');
        if (definition) bindDefinition(definition, bind);
        break;
      }
      case 'class_definition':
      case 'function_definition':
        bindDefinition(statement, bind);
        break;
      case 'expression_statement': {
        const assignment = statement.namedChild(0);
        if (assignment?.type === 'assignment') bindAssignment(assignment, bind);
        break;
      }
      case 'import_statement':
        for (const item of statement.namedChildren) {
          if (!item) continue;
          if (item.type === 'dotted_name') bind(item.text.split('.')[0]!, { kind: 'import', module: item.text.split('.')[0]!, name: null });
          else if (item.type === 'aliased_import') {
            const name = item.childForFieldName('name')?.text;
            const alias = item.childForFieldName('alias')?.text;
            if (name && alias) bind(alias, { kind: 'import', module: name, name: null });
          }
        }
        break;
      case 'import_from_statement': {
        const from = absoluteModule(module, statement.childForFieldName('module_name'));
        if (from === null) break;
        for (const item of statement.namedChildren) {
          if (!item || item.startIndex === statement.childForFieldName('module_name')?.startIndex) continue;
          if (item.type === 'wildcard_import') module.starImports.push(from);
          else if (item.type === 'dotted_name') bind(item.text, { kind: 'import', module: from, name: item.text });
          else if (item.type === 'aliased_import') {
            const name = item.childForFieldName('name')?.text;
            const alias = item.childForFieldName('alias')?.text;
            if (name && alias) bind(alias, { kind: 'import', module: from, name });
          }
        }
        break;
      }
      case 'if_statement':
      case 'try_statement':
      case 'with_statement':
      case 'else_clause':
      case 'elif_clause':
      case 'except_clause':
      case 'finally_clause':
      case 'block':
        for (const child of statement.namedChildren) if (child && (child.type === 'block' || child.type.endsWith('_clause'))) readBindings(module, child);
        if (statement.type === 'block') readBindings(module, statement);
        break;
    }
  }
}

function bindDefinition(definition: SyntaxNode, bind: (name: string, binding: Binding) => void): void {
  const name = definition.childForFieldName('name')?.text;
  if (!name) return;
  bind(name, { kind: definition.type === 'class_definition' ? 'class' : 'function', node: definition });
}

function bindAssignment(assignment: SyntaxNode, bind: (name: string, binding: Binding) => void): void {
  const left = assignment.childForFieldName('left');
  let right = assignment.childForFieldName('right');
  // a = b = value
  while (right?.type === 'assignment') right = right.childForFieldName('right');
  if (!left || !right) return;
  if (left.type === 'identifier') bind(left.text, { kind: 'value', node: right });
  else if (left.type === 'pattern_list' || left.type === 'tuple_pattern' || left.type === 'list_pattern') {
    left.namedChildren.forEach((item, index) => {
      if (item?.type === 'identifier') bind(item.text, { kind: 'value', node: right!, index });
    });
  }
}

/** The absolute dotted name of `from <module_name> import ...`, relative imports resolved. */
function absoluteModule(module: PythonModule, name: SyntaxNode | null): string | null {
  if (!name || (name.type !== 'dotted_name' && name.type !== 'relative_import')) return null;
  return resolveRelative(module.dotted, module.path.endsWith('__init__.py'), name.text);
}

/** `..models` from the module `oscar.apps.order.views` is `oscar.apps.models`; absolute names stay. */
function resolveRelative(dotted: string | null, isPackage: boolean, written: string): string | null {
  const dots = /^\.*/.exec(written)![0].length;
  if (dots === 0) return written;
  const rest = written.slice(dots);
  if (dotted === null) return null;
  const parts = dotted.split('.');
  const base = parts.slice(0, parts.length - (isPackage ? dots - 1 : dots));
  if (base.length === 0 && !rest) return null;
  return [...base, ...(rest ? [rest] : [])].join('.');
}
