#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm run build writes dist/).
import { statSync } from 'node:fs';

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
  const modified = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = modified('../dist/bundle/main.js');
  const compiled = modified('../dist/src/cli/main.js');
  return bundled !== undefined && (compiled === undefined || bundled >= compiled) ? '../dist/bundle/main.js' : '../dist/src/cli/main.js';
}

let cli;
try {
  cli = await import(entry());
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/src/cli/main.js')) throw error;
  process.stderr.write('bg-scaffold: dist/ is missing; run "npm run build" first\n');
  process.exit(70);
}
process.exitCode = await cli.main(process.argv.slice(2));
