/**
 * Bundles the compiled CLI (dist/src/) into dist/bundle/, which bin/bg-scaffold.js runs: a few
 * chunks instead of a hundred ES modules, each of which Node resolves, reads and compiles at every
 * start (−40 ms on every command; bench/README.md, "On a real tree"). Packages stay outside the
 * bundle, loaded from node_modules as before; a command's modules still load only when it runs
 * (dynamic imports become chunks). Part of `npm run build`, after precompile-templates.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';
import { packageRoot } from '../src/package-root.js';
import { PRECOMPILED_MODULE } from '../src/render/precompiled.js';

const BUNDLE_DIR = join(packageRoot(), 'dist', 'bundle');

const started = performance.now();
rmSync(BUNDLE_DIR, { recursive: true, force: true });
await build({
  input: join(packageRoot(), 'dist', 'src', 'cli', 'main.js'),
  platform: 'node',
  // Bare specifiers (packages, node: builtins) stay imports.
  external: [/^[^./]/],
  output: { dir: BUNDLE_DIR, format: 'esm' },
  logLevel: 'warn',
});
// The renderer finds its precompiled templates beside its own module: the bundle's chunks.
copyFileSync(PRECOMPILED_MODULE, join(BUNDLE_DIR, 'builtin-templates.precompiled.cjs'));
console.log(`bundled the CLI into ${BUNDLE_DIR} in ${Math.round(performance.now() - started)} ms`);
