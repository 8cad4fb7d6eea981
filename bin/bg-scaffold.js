#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm run build writes dist/).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// The two wasm modules (the Python grammar, the ruff formatter) stay on V8's baseline compiler:
// in a run of a second or less, optimizing their hot functions on the side cost more CPU than it
// saved, on two cores nearly all of it on the run's own time (bench/README.md, "CLI speed").
// Set before anything compiles wasm; output is the same either way.
setFlagsFromString('--liftoff-only');

/** A file's modification time (ms), relative to this one; undefined when it does not exist. */
const modified = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;

// A reader that stops early (`bg-scaffold ... --dry-run | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/**
 * The bundle (dist/bundle/, which starts faster), unless `tsc` alone has compiled dist/src/ since
 * it was made: then the modules, so that a build without the bundling step never runs stale code.
 */
function entry() {
  const bundled = modified('../dist/bundle/main.js');
  const compiled = modified('../dist/src/cli/main.js');
  return bundled !== undefined && (compiled === undefined || bundled >= compiled) ? '../dist/bundle/main.js' : '../dist/src/cli/main.js';
}

/**
 * A source checkout builds itself on its first run (`npm ci`, then `npx bg-scaffold …`): the
 * package has no `prepare` script, which npm would run, and warn about, at every user's install.
 */
function buildIfMissing() {
  if (modified('../dist/src/cli/main.js') !== undefined || modified('../src/cli/main.ts') === undefined) return;
  process.stderr.write('bg-scaffold: building dist/ (npm run build), once, in this source checkout\n');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'], shell: process.platform === 'win32' });
  if (built.status !== 0) {
    process.stderr.write('bg-scaffold: npm run build failed; run it yourself to see why\n');
    process.exit(70);
  }
}

buildIfMissing();
let cli;
try {
  cli = await import(entry());
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/src/cli/main.js')) throw error;
  process.stderr.write('bg-scaffold: dist/ is missing; run "npm run build" first\n');
  process.exit(70);
}
process.exitCode = await cli.main(process.argv.slice(2));
