/**
 * Golden files: every file each change-column-type plan writes, release by release: a varchar
 * widened in place (shop), an integer swapped for a bigint (shop), a primary key and the foreign
 * keys that point at it from two apps (legacy, read through Django: the key is the one Django adds),
 * a narrowing cast with --using (legacy), and Django's AlterField on SQLite.
 * Refresh with `UPDATE_GOLDEN=1 npx vitest run test/golden`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../../src/commands/advance.js';
import { type ChangeColumnTypeRequest, stageChangeColumnType } from '../../src/operations/change-column-type/operation.js';
import { formatPython } from '../../src/render/format.js';
import { requireRealStack } from '../harness/availability.js';
import { ensureDjangoEnv } from '../harness/python-env.js';
import { compareRelease } from './golden-files.js';
import { asGoldenFiles } from './runtime-copies.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenRoot = join(repo, 'test', 'golden', 'change-column-type');

interface Scenario {
  name: string;
  example: 'shop' | 'legacy';
  /** Read through Django (the primary key Django adds is known only to Django). */
  django?: boolean;
  request: Omit<ChangeColumnTypeRequest, 'projectDir'>;
}

const scenarios: Scenario[] = [
  { name: 'widen-varchar', example: 'shop', request: { app: 'shop', model: 'Order', field: 'reference', type: 'CharField', maxLength: 40 } },
  { name: 'int-to-bigint', example: 'shop', request: { app: 'shop', model: 'Order', field: 'quantity', type: 'BigIntegerField' } },
  { name: 'int-to-bigint-background', example: 'shop', request: { app: 'shop', model: 'Order', field: 'quantity', type: 'BigIntegerField', backfill: 'background' } },
  { name: 'primary-key-background', example: 'legacy', django: true, request: { app: 'accounts', model: 'Account', field: 'id', type: 'BigAutoField', backfill: 'background' } },
  { name: 'primary-key', example: 'legacy', django: true, request: { app: 'accounts', model: 'Account', field: 'id', type: 'BigAutoField' } },
  { name: 'narrowing-using', example: 'legacy', request: { app: 'billing', model: 'Invoice', field: 'number', type: 'IntegerField', using: 'number::integer' } },
  { name: 'sqlite', example: 'shop', request: { app: 'shop', model: 'Order', field: 'quantity', type: 'BigIntegerField', database: 'sqlite' } },
];

let work: string;
const savedEpoch = process.env.SOURCE_DATE_EPOCH;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bg-golden-'));
  process.env.SOURCE_DATE_EPOCH = '1790000000';
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
});

describe.each(scenarios)('change-column-type golden files: $name', ({ name, example, django, request }) => {
  const run = django ? requireRealStack({ postgres: false, django: ['5.2'] }) === 'run' : true;
  it.runIf(run)('writes the expected files in every release, and generated Python is ruff-formatted', async () => {
    const project = join(work, name);
    cpSync(join(repo, 'examples', example), project, { recursive: true });
    const python = django ? (await ensureDjangoEnv('5.2')).python : undefined;
    const read = django ? { python } : { static: true };
    let staged = await stageChangeColumnType({ ...request, ...read, projectDir: project });
    const phases = staged.plan.phases.length;
    for (let release = 1; release <= phases; release++) {
      if (release > 1) staged = await stageAdvance({ ...read, projectDir: project, change: staged.plan.change });
      const files = staged.stage.files();
      // A file the step deletes is kept as an empty `<path>.deleted` golden file.
      const written = new Map(files.map((f) => (f.after === null ? [`${f.path}.deleted`, ''] : [f.path, f.after]) as [string, string]));
      for (const [path, content] of written) {
        if (path.endsWith('.py') && !path.endsWith('models.py')) expect(formatPython(content, path), `${path} is ruff-formatted`).toBe(content);
      }
      await staged.stage.commit();
      compareRelease(goldenRoot, name, release, asGoldenFiles(repo, written));
    }
    await expect(stageAdvance({ ...read, projectDir: project, change: staged.plan.change })).rejects.toThrow(/complete/);
  });
});
