/**
 * The package a user installs: `npm pack` (of the build `npm test` made first), installed from the
 * tarball into an empty folder, runs `bg-scaffold --help` and generates a change on a copy of
 * examples/shop. Its dependencies come from npm's cache, filled by `npm ci`, or the registry.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeFileName } from '../../src/runtime/runtime.js';
import { copyProject } from '../harness/django-project.js';
import { REAL_STACK_TIMEOUT_MS, runChecked, runCommand } from '../harness/process.js';
import { repoRoot, shopExampleDir } from '../harness/repo.js';

const work = mkdtempSync(path.join(tmpdir(), 'bg-package-'));
const app = path.join(work, 'app');
let files: string[] = [];
let packageJson: { scripts?: Record<string, string> } = {};
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  // Packed from the build npm test made first; --ignore-scripts keeps any pack script from rebuilding it under the other test files.
  const packed = JSON.parse(await runChecked('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot(), timeoutMs: REAL_STACK_TIMEOUT_MS })) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  files = packed[0]!.files.map((file) => file.path);
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'a-django-teams-tools', private: true }));
  // --ignore-scripts: no dependency needs its install script (tree-sitter's grammar ships as wasm).
  await runChecked('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(work, packed[0]!.filename)], {
    cwd: app,
    timeoutMs: REAL_STACK_TIMEOUT_MS,
  });
  packageJson = JSON.parse(readFileSync(path.join(app, 'node_modules', 'bg-scaffold', 'package.json'), 'utf8')) as typeof packageJson;
}, REAL_STACK_TIMEOUT_MS);

const bin = () => path.join(app, 'node_modules', '.bin', 'bg-scaffold');

describe('the package a user installs', () => {
  it('holds its licence, the documents its README links to, the bundled CLI and the runtime; no source maps of sources it does not ship', () => {
    expect(files).toContain('LICENSE');
    const readme = readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(((?!https?:|#)[^)#\s]+)/g)].map((match) => match[1]!);
    expect(linked.length).toBeGreaterThan(0);
    for (const link of linked) expect(files, link).toContain(link);
    expect(files).toEqual(expect.arrayContaining(['bin/bg-scaffold.js', 'dist/bundle/main.js', `python/runtime/${runtimeFileName()}`, 'python/bg_scaffold_introspect.py']));
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('test/') || file.includes('.test.'))).toEqual([]);
  });

  it('keeps no script that runs when it is installed', () => {
    // npm would run `prepare` too, and warn about it, at a user's install (a source checkout builds on its first run).
    expect(Object.keys(packageJson.scripts ?? {}).filter((name) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(name))).toEqual([]);
  });

  it('installed from the tarball into an empty folder, bg-scaffold --help runs', async () => {
    const help = await runCommand(bin(), ['--help'], { cwd: app });
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: bg-scaffold \[options\] \[command\]/);
  });

  it('and generates a change on a copy of examples/shop, runtime included', async () => {
    const project = path.join(work, 'shop');
    await copyProject(shopExampleDir(), project);
    const run = await runCommand(bin(), ['rename-column', '--project', project, '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--yes', '--no-django'], { cwd: app });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(path.join(project, 'shop', 'migrations', runtimeFileName()))).toBe(true);
    expect(existsSync(path.join(project, '.bg-scaffold', 'order-quantity-to-qty', 'plan.json'))).toBe(true);
  });
});
