/** The project's own settings: a small TOML reader, three files in a fixed precedence, flags first. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCommon } from '../../../src/commands/options.js';
import { BgScaffoldError } from '../../../src/errors.js';
import { configFilesWithSettings, readProjectConfig } from '../../../src/project/config.js';
import { parseToml, TomlError } from '../../../src/project/toml.js';
import type { ProjectFacts } from '../../../src/project/types.js';

const work = mkdtempSync(join(tmpdir(), 'bg-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;

function project(files: Record<string, string>): string {
  const dir = join(work, `p${counter++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the TOML reader', () => {
  it('reads tables, dotted and quoted keys, strings, numbers, booleans and arrays', () => {
    const doc = parseToml(`
# a comment
title = "shop" # trailing comment
[tool.black]
line-length = 88
target-version = ['py311', "py312"]

[tool."bg-scaffold"]
packs = [
  "./packs/team",   # the team's pack
  '@acme/bg-pack',
]
lock_timeout = "2s"
batch_size = 5_000
enabled = true
ratio = 1.5
escaped = "a\\tb\\u00e9"
literal = 'C:\\path'
`);
    expect(doc.title).toBe('shop');
    expect(doc.tool).toEqual({
      black: { 'line-length': 88, 'target-version': ['py311', 'py312'] },
      'bg-scaffold': {
        packs: ['./packs/team', '@acme/bg-pack'],
        lock_timeout: '2s',
        batch_size: 5000,
        enabled: true,
        ratio: 1.5,
        escaped: 'a\tbé',
        literal: 'C:\\path',
      },
    });
  });

  it('reads what a real pyproject.toml holds around its settings: multi-line strings, inline tables, arrays of tables, dates', () => {
    const doc = parseToml(`
[project]
name = "shop"
description = """
A shop. [tool.bg-scaffold] in here is text, \\
not a table."""
authors = [{ name = "Ada", email = "ada@example.org" }]
dependencies = [
    "django>=5.2",
    [1, 2],
]
released = 1979-05-27 07:32:00
notes = '''
raw \\n text'''

[[tool.mypy.overrides]]
module = "a"
[[tool.mypy.overrides]]
module = "b"

[tool.bg-scaffold]
packs = []
`);
    expect((doc.project as Record<string, unknown>).description).toBe('A shop. [tool.bg-scaffold] in here is text, not a table.');
    expect((doc.project as Record<string, unknown>).authors).toEqual([{ name: 'Ada', email: 'ada@example.org' }]);
    expect((doc.project as Record<string, unknown>).released).toBe('1979-05-27 07:32:00');
    expect((doc.project as Record<string, unknown>).notes).toBe('raw \\n text');
    expect((doc.tool as Record<string, Record<string, unknown>>).mypy!.overrides).toEqual([{ module: 'a' }, { module: 'b' }]);
    expect((doc.tool as Record<string, unknown>)['bg-scaffold']).toEqual({ packs: [] });
  });

  it('says on which line it cannot read', () => {
    expect(() => parseToml('a = 1\nb = "unterminated\n')).toThrow(TomlError);
    expect(() => parseToml('a = 1\nb = "unterminated\n')).toThrow(/line 2/);
  });
});

describe('project config', () => {
  it('reads [tool.bg-scaffold] of pyproject.toml', () => {
    const dir = project({
      'pyproject.toml': '[tool.bg-scaffold]\npacks = ["./team-pack", "@acme/bg-pack"]\nlock_timeout = "2s"\nlock_retries = 5\nbatch_size = 500\n',
    });
    expect(readProjectConfig(dir)).toEqual({
      source: 'pyproject.toml [tool.bg-scaffold]',
      packs: ['./team-pack', '@acme/bg-pack'],
      lockTimeout: '2s',
      lockRetries: 5,
      batchSize: 500,
    });
  });

  it('reads the "bg-scaffold" key of package.json and bg-scaffold.config.json, in camelCase', () => {
    const settings = { packs: ['./p'], lockTimeout: '750ms', lockRetries: 3, batchSize: 100 };
    expect(readProjectConfig(project({ 'package.json': JSON.stringify({ name: 'x', 'bg-scaffold': settings }) }))).toEqual({
      source: 'package.json "bg-scaffold"',
      ...settings,
    });
    expect(readProjectConfig(project({ 'bg-scaffold.config.json': JSON.stringify(settings) }))).toEqual({ source: 'bg-scaffold.config.json', ...settings });
  });

  it('uses the first file with settings: bg-scaffold.config.json, then pyproject.toml, then package.json', () => {
    const all = {
      'bg-scaffold.config.json': JSON.stringify({ packs: ['./from-json'] }),
      'pyproject.toml': '[tool.bg-scaffold]\npacks = ["./from-pyproject"]\n',
      'package.json': JSON.stringify({ 'bg-scaffold': { packs: ['./from-package'] } }),
    };
    const dir = project(all);
    expect(readProjectConfig(dir).packs).toEqual(['./from-json']);
    expect(configFilesWithSettings(dir)).toEqual(['bg-scaffold.config.json', 'pyproject.toml [tool.bg-scaffold]', 'package.json "bg-scaffold"']);
    const { 'bg-scaffold.config.json': _json, ...withoutJson } = all;
    expect(readProjectConfig(project(withoutJson)).packs).toEqual(['./from-pyproject']);
    expect(readProjectConfig(project({ 'package.json': all['package.json'] })).packs).toEqual(['./from-package']);
  });

  it('ignores files without bg-scaffold settings, and never merges two files', () => {
    const dir = project({
      'pyproject.toml': '[tool.black]\nline-length = 100\n',
      'package.json': JSON.stringify({ name: 'front', 'bg-scaffold': { lockRetries: 4 } }),
    });
    expect(readProjectConfig(dir)).toEqual({ source: 'package.json "bg-scaffold"', packs: [], lockRetries: 4 });
    expect(readProjectConfig(project({}))).toEqual({ source: null, packs: [] });
  });

  it('a pyproject.toml that never mentions bg-scaffold is not parsed at all', () => {
    expect(readProjectConfig(project({ 'pyproject.toml': '[tool.weird]\nx = {{ not toml }}\n' })).source).toBeNull();
  });

  it.each([
    ['pyproject.toml', '[tool.bg-scaffold]\npack = ["./p"]\n', /pyproject\.toml \[tool\.bg-scaffold\]: unknown setting "pack"; bg-scaffold reads packs, lock_timeout/],
    ['pyproject.toml', '[tool.bg-scaffold]\nlock_timeout = "soon"\n', /"lock_timeout" must be an interval like "1s"/],
    ['pyproject.toml', '[tool.bg-scaffold]\nbatch_size = 0\n', /"batch_size" must be a whole number of at least 1/],
    ['pyproject.toml', '[tool.bg-scaffold]\npacks = "./p"\n', /"packs" must be a list of folders or npm package names/],
    ['pyproject.toml', '[tool.bg-scaffold]\npacks = ["./p"\n', /pyproject\.toml: line \d+: .*move the bg-scaffold settings/],
    ['package.json', '{"bg-scaffold": {"lock_timeout": "2s"}}', /package\.json "bg-scaffold": unknown setting "lock_timeout"; bg-scaffold reads packs, lockTimeout/],
    ['bg-scaffold.config.json', '{"packs": ', /bg-scaffold\.config\.json is not valid JSON/],
  ])('%s: a bad setting is an error naming the file and the key (%s)', (file, text, message) => {
    const dir = project({ [file]: text });
    expect(() => readProjectConfig(dir)).toThrow(BgScaffoldError);
    expect(() => readProjectConfig(dir)).toThrow(message);
  });
});

describe('lock and batch defaults', () => {
  const facts = (root: string) => ({ root, database: 'postgresql', apps: [] }) as unknown as ProjectFacts;

  it('come from the project config when no flag is given', () => {
    const dir = project({ 'pyproject.toml': '[tool.bg-scaffold]\nlock_timeout = "2s"\nlock_retries = 4\nbatch_size = 250\n' });
    const common = resolveCommon({ projectDir: dir }, facts(dir));
    expect(common.lock).toEqual({ lockTimeout: '2s', retries: 4 });
    expect(common.batchSize).toBe(250);
  });

  it('flags win over the config', () => {
    const dir = project({ 'pyproject.toml': '[tool.bg-scaffold]\nlock_timeout = "2s"\nlock_retries = 4\nbatch_size = 250\n' });
    const common = resolveCommon({ projectDir: dir, lockTimeout: '300ms', lockRetries: 2, batchSize: 50 }, facts(dir));
    expect(common.lock).toEqual({ lockTimeout: '300ms', retries: 2 });
    expect(common.batchSize).toBe(50);
  });

  it("are bg-scaffold's own without a config", () => {
    const dir = project({});
    const common = resolveCommon({ projectDir: dir }, facts(dir));
    expect(common.lock).toEqual({ lockTimeout: '1s', retries: 10 });
    expect(common.batchSize).toBe(10_000);
  });
});
