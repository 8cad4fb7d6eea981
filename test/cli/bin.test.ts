/** The built command as a user runs it (needs `npm run build`; `npm test` builds first). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

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
});
