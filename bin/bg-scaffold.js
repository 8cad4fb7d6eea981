#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm run build writes dist/).

// A reader that stops early (`bg-scaffold ... --dry-run | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/src/cli/main.js')) throw error;
  process.stderr.write('bg-scaffold: dist/ is missing; run "npm run build" first\n');
  process.exit(70);
}
process.exitCode = await cli.main(process.argv.slice(2));
