/**
 * Golden files: every file each add-column plan variant writes into examples/shop, release by
 * release, so that a template change shows up in review as a diff of generated migrations.
 * Refresh with `UPDATE_GOLDEN=1 npx vitest run test/golden`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageAddColumn, type AddColumnRequest } from '../../src/operations/add-column/operation.js';
import { formatPython } from '../../src/render/format.js';
import { compareRelease } from './golden-files.js';
import { asGoldenFiles } from './runtime-copies.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenRoot = join(repo, 'test', 'golden', 'add-column');

const order = { app: 'shop', model: 'Order' } as const;
const scenarios: Array<{ name: string; request: Omit<AddColumnRequest, 'projectDir'> }> = [
  { name: 'nullable', request: { ...order, name: 'gift_message', type: 'TextField', null: true } },
  { name: 'nullable-indexed', request: { ...order, name: 'gift_message', type: 'CharField', maxLength: 200, null: true, dbIndex: true } },
  { name: 'unique', request: { ...order, name: 'external_ref', type: 'CharField', maxLength: 40, null: true, unique: true } },
  { name: 'db-default', request: { ...order, name: 'priority', type: 'IntegerField', default: '0' } },
  { name: 'runsql-default-django42', request: { ...order, name: 'priority', type: 'IntegerField', default: '0', djangoVersion: '4.2' } },
  { name: 'backfill-sql', request: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2' } },
  { name: 'backfill-sql-background', request: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2', backfill: 'background' } },
  { name: 'backfill-function', request: { ...order, name: 'priority', type: 'IntegerField' } },
  { name: 'single-release', request: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2', strategy: 'single-release' } },
  { name: 'foreign-key', request: { ...order, name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'SET_NULL', null: true } },
  { name: 'sqlite-backfill-sql', request: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity * 2', database: 'sqlite' } },
  { name: 'mysql-runsql-default-django42', request: { ...order, name: 'label', type: 'TextField', default: 'none', database: 'mysql', djangoVersion: '4.2' } },
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

describe.each(scenarios)('add-column golden files: $name', ({ name, request }) => {
  it('writes the expected files in every release, and generated Python is ruff-formatted', async () => {
    const project = join(work, name);
    cpSync(join(repo, 'examples', 'shop'), project, { recursive: true });
    let staged = await stageAddColumn({ ...request, projectDir: project });
    const phases = staged.plan.phases.length;
    for (let release = 1; release <= phases; release++) {
      if (release > 1) staged = await stageAdvance({ projectDir: project, change: staged.plan.change });
      const files = staged.stage.files();
      // A file the step deletes is kept as an empty `<path>.deleted` golden file.
      const written = new Map(files.map((f) => (f.after === null ? [`${f.path}.deleted`, ''] : [f.path, f.after]) as [string, string]));
      for (const [path, content] of written) {
        const userFile = path.endsWith('models.py');
        if (path.endsWith('.py') && !userFile) expect(formatPython(content, path), `${path} is ruff-formatted`).toBe(content);
      }
      await staged.stage.commit();
      compareRelease(goldenRoot, name, release, asGoldenFiles(repo, written));
    }
    await expect(stageAdvance({ projectDir: project, change: staged.plan.change })).rejects.toThrow(/complete/);
  });
});
