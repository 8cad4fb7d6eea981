/**
 * Golden files: every file each rename-column strategy writes into examples/shop, release by
 * release, so that a template change shows up in review as a diff of generated migrations.
 * Refresh with `UPDATE_GOLDEN=1 npx vitest run test/golden`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import type { RenameColumnRequest } from '../../src/commands/types.js';
import { formatPython } from '../../src/render/format.js';
import { compareRelease } from './golden-files.js';
import { asGoldenFiles } from './runtime-copies.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenRoot = join(repo, 'test', 'golden', 'rename-column');

const scenarios: Array<{ name: string; request: Omit<RenameColumnRequest, 'projectDir'> }> = [
  { name: 'trigger', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty' } },
  { name: 'trigger-unique', request: { app: 'shop', model: 'Order', field: 'reference', to: 'code', strategy: 'trigger' } },
  { name: 'db-column', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'db-column' } },
  { name: 'copy-4', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'copy' } },
  { name: 'copy-3', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'copy', phases: 3 } },
  { name: 'copy-4-background', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'copy', backfill: 'background' } },
  { name: 'copy-3-background', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'copy', phases: 3, backfill: 'background' } },
  { name: 'copy-sqlite', request: { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'copy', database: 'sqlite' } },
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

describe.each(scenarios)('rename-column golden files: $name', ({ name, request }) => {
  it('writes the expected files in every release, and generated Python is ruff-formatted', async () => {
    const project = join(work, name);
    cpSync(join(repo, 'examples', 'shop'), project, { recursive: true });
    let staged = await stageRenameColumn({ ...request, projectDir: project });
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
