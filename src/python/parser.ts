/**
 * The Python parser: web-tree-sitter with the tree-sitter-python grammar, both as wasm (no native
 * build, no install scripts). Load it once (async), then parse synchronously.
 *
 * Offsets: web-tree-sitter hands JS strings to the parser as UTF-16, so `node.startIndex` and
 * `node.endIndex` are UTF-16 code units, i.e. plain JS string indices (`source.slice(start, end)`
 * is the node's text even after non-ASCII comments). `startPosition.column` is not used for that
 * reason: columns we report are computed from indices.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';
import { BgScaffoldError } from '../errors.js';

export type { Node as SyntaxNode, Tree as SyntaxTree } from 'web-tree-sitter';

let parser: Parser | null = null;
let loading: Promise<void> | null = null;

/** Loads the wasm runtime and the Python grammar. Safe to call many times. */
export function loadPythonParser(): Promise<void> {
  if (!loading) {
    loading = (async () => {
      // Resolved from this module, so it works from src/ (vitest) and from dist/src/ (node).
      const require = createRequire(import.meta.url);
      const runtimeWasm = require.resolve('web-tree-sitter/web-tree-sitter.wasm');
      const pythonWasm = require.resolve('tree-sitter-python/tree-sitter-python.wasm');
      await Parser.init({ locateFile: () => runtimeWasm });
      const python = await Language.load(pythonWasm);
      const ready = new Parser();
      ready.setLanguage(python);
      parser = ready;
    })();
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** Parses Python source. Call (and await) `loadPythonParser()` once first. */
export function parsePython(source: string): Tree {
  if (!parser) throw new Error('Python parser not loaded: await loadPythonParser() first');
  const tree = parser.parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** 1-based line and column (in characters) of a string index. */
export function positionOf(source: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < index; i = source.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/** The first ERROR or MISSING node of a tree, in source order, or null when it parses. */
export function firstSyntaxError(tree: Tree): Node | null {
  let node: Node = tree.rootNode;
  if (!node.hasError) return null;
  for (;;) {
    if (node.isError || node.isMissing) return node;
    const next = node.children.find((child) => child.hasError || child.isError || child.isMissing);
    if (!next) return node;
    node = next;
  }
}

/** Throws a one-line BgScaffoldError when `source` does not parse as Python. */
export function assertParses(source: string, file: string): Tree {
  const tree = parsePython(source);
  const error = firstSyntaxError(tree);
  if (error) {
    const { line, column } = positionOf(source, error.startIndex);
    throw new BgScaffoldError(
      `${file}:${line}:${column}: does not parse as Python; fix the syntax error and run bg-scaffold again`,
    );
  }
  return tree;
}
