/** The built command as a user runs it (needs `npm run build`; `npm test` builds first). */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, snapshotTree } from './run-cli.js';

let project: string;

beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'bg-bin-'));
  writeFileSync(path.join(project, 'manage.py'), '');
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('bin/bg-scaffold.js', () => {
  it('runs on plain Node and prints the help', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: bg-scaffold \[options\] \[command\]/);
  });

  it('exits 2 with one line for an unknown flag', async () => {
    const { code, stderr } = await runCli(['rename-column', '--frob']);
    expect(code).toBe(2);
    expect(stderr).toBe("bg-scaffold: unknown option '--frob'; see bg-scaffold rename-column --help\n");
  });

  it('without a terminal, never prompts: names the missing flags, exits 2, writes nothing', async () => {
    const before = snapshotTree(project);
    const { code, stdout, stderr } = await runCli(['rename-column', '--app', 'shop'], { cwd: project });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'bg-scaffold: missing --model (the model class), --field (the field to rename) and --to (the new field name); pass them or run in a terminal to be asked\n',
    );
    expect(snapshotTree(project)).toEqual(before);
  });

  it('runs the bundle npm run build makes (dist/bundle/), not the hundred modules of dist/src/', () => {
    expect(existsSync(path.join(path.dirname(BIN), '..', 'dist', 'bundle', 'main.js'))).toBe(true);
  });

  it('runs dist/src/ instead when tsc alone has compiled it since the bundle was made: never stale code', () => {
    const installed = mkdtempSync(path.join(tmpdir(), 'bg-bin-choice-'));
    try {
      mkdirSync(path.join(installed, 'bin'));
      copyFileSync(BIN, path.join(installed, 'bin', 'bg-scaffold.js'));
      const entry = (dir: string, says: string): string => {
        const file = path.join(installed, 'dist', dir, 'main.js');
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, `export async function main() { console.log(${JSON.stringify(says)}); return 0; }\n`);
        return file;
      };
      const bundle = entry('bundle', 'the bundle');
      const modules = entry('src/cli', 'the modules');
      const run = () => execFileSync(process.execPath, [path.join(installed, 'bin', 'bg-scaffold.js')], { encoding: 'utf8' }).trim();
      utimesSync(modules, new Date(1_000_000), new Date(1_000_000));
      utimesSync(bundle, new Date(2_000_000), new Date(2_000_000));
      expect(run()).toBe('the bundle');
      utimesSync(modules, new Date(3_000_000), new Date(3_000_000));
      expect(run()).toBe('the modules');
      rmSync(bundle);
      expect(run()).toBe('the modules');
    } finally {
      rmSync(installed, { recursive: true, force: true });
    }
  });
});
