/**
 * What keeps a generation fast without changing a byte of its output (bench/README.md, CLI speed):
 * the built-in templates are compiled at build time, and the built-in PLAN.md is aligned without
 * loading Prettier, yet exactly as Prettier would write it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as prettier from 'prettier';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { alignTables, formatMarkdown } from '../../../src/render/format.js';
import { builtinPack, TemplateRenderer } from '../../../src/render/pack.js';
import { loadPrecompiled, precompiledModule, sourceHash } from '../../../src/render/precompiled.js';
import { repoRoot, shopExampleDir } from '../../harness/repo.js';

const work = mkdtempSync(join(tmpdir(), 'bg-fast-paths-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the built-in PLAN.md, aligned without Prettier', () => {
  const plans = filesUnder(join(repoRoot(), 'test', 'golden')).filter((file) => file.endsWith('PLAN.md'));

  it.each(plans.map((file) => [relative(repoRoot(), file)]))('%s is exactly what Prettier writes', async (file) => {
    const text = readFileSync(join(repoRoot(), file), 'utf8');
    expect(await prettier.format(text, { parser: 'markdown', proseWrap: 'preserve' })).toBe(text);
  });

  it('pads cells to the widest in their column, dashes included; escaped pipes and fenced code stay as they are', () => {
    const source = ['| a | long header |', '| --- | --- |', '| wide cell \\| x | b |', '', '```', '| not | a table |', '| --- | --- |', '```', ''].join('\n');
    expect(alignTables(source)).toBe(
      ['| a              | long header |', '| -------------- | ----------- |', '| wide cell \\| x | b           |', '', '```', '| not | a table |', '| --- | --- |', '```', ''].join('\n'),
    );
  });

  it('a pack’s own PLAN.md still goes through Prettier', async () => {
    expect(await formatMarkdown('* one\n* two\n', false)).toBe('- one\n- two\n');
    expect(await formatMarkdown('* one\n* two\n', true)).toBe('* one\n* two\n');
  });
});

describe('the built-in templates, compiled at build time', () => {
  it('are used only while their source is unchanged since the build', () => {
    const file = join(work, 'precompiled.cjs');
    const renderer = new TemplateRenderer([builtinPack()], new Map());
    expect(renderer.precompiled).toEqual([]);
    const templates = renderer.list().map(({ name, path }) => {
      const source = readFileSync(path, 'utf8');
      return { name, source: name === 'record/PLAN' ? `${source} (edited)` : source, spec: '{"compiler":[8,">= 4.3.0"],"main":function(){return "stale";},"useData":true}' };
    });
    writeFileSync(file, precompiledModule(templates));
    const loaded = loadPrecompiled(file);
    expect(loaded.size).toBe(templates.length);
    const fast = new TemplateRenderer([builtinPack()], loaded);
    expect(fast.precompiled).toHaveLength(templates.length - 1);
    expect(fast.precompiled).not.toContain('record/PLAN');
    expect(fast.render('migrations/migration', {})).toBe('stale'); // the precompiled spec ran
    expect(fast.render('record/PLAN', { plan: { phases: [] }, phases: [] })).not.toBe('stale');
  });

  it('the built CLI uses them for every built-in template, and writes byte for byte what compiling at run time writes', async () => {
    const built = loadPrecompiled(join(repoRoot(), 'dist', 'src', 'render', 'builtin-templates.precompiled.cjs'));
    const sources = new TemplateRenderer([builtinPack()], new Map()).list();
    // npm test builds first (npm run build precompiles); a stale module would make this test prove nothing.
    expect(sources.filter(({ name, path }) => built.get(name)?.hash !== sourceHash(readFileSync(path, 'utf8'))).map((t) => t.name)).toEqual([]);

    const args = ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--yes', '--project'];
    const env = { ...process.env, SOURCE_DATE_EPOCH: '1790000000' };
    const [viaDist, viaSource] = [join(work, 'dist'), join(work, 'src')];
    for (const dir of [viaDist, viaSource]) cpSync(shopExampleDir(), dir, { recursive: true });
    const cli = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'bg-scaffold.js'), ...args, viaDist], { env, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    const quiet = { write: () => true };
    const savedEpoch = process.env.SOURCE_DATE_EPOCH; // the record's timestamps
    process.env.SOURCE_DATE_EPOCH = env.SOURCE_DATE_EPOCH;
    try {
      expect(await main([...args, viaSource], { stdout: quiet, stderr: quiet, isTTY: false, env })).toBe(0);
    } finally {
      if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = savedEpoch;
    }

    const tree = (dir: string) => filesUnder(dir).map((file) => [relative(dir, file), readFileSync(file, 'utf8')]);
    expect(tree(viaDist)).toEqual(tree(viaSource));
  }, 60_000);
});
