import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import nodePlop from 'node-plop';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import bgScaffoldGenerators, { RUN_SLOT, STAGE_ACTION, type StageSlot } from '../../plopfile.js';
import { stageWithGenerator } from '../../src/cli/generators.js';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import type { StagedChange } from '../../src/commands/types.js';
import { BgScaffoldError } from '../../src/errors.js';
import type { ChangePlan } from '../../src/operations/shared/types.js';
import { templateHelpers } from '../../src/render/helpers.js';
import { StagedTree } from '../../src/stage/staged-tree.js';
import { snapshotTree } from './snapshot-tree.js';

vi.mock('../../src/operations/rename-column/operation.js', () => ({ stageRenameColumn: vi.fn() }));
vi.mock('../../src/commands/advance.js', () => ({ stageAdvance: vi.fn() }));

let project: string;

function staged(root: string): StagedChange {
  const stage = new StagedTree(root);
  stage.create('shop/migrations/0002_x.py', '# x\n');
  const plan = { change: 'order-quantity-to-qty', phases: [{}, {}] } as unknown as ChangePlan;
  return { plan, phase: 1, stage, warnings: [], nextSteps: [] };
}

const request = () => ({ projectDir: project, app: 'shop', model: 'Order', field: 'quantity', to: 'qty' });

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'bg-plop-'));
  writeFileSync(path.join(project, 'manage.py'), '');
  vi.mocked(stageRenameColumn).mockReset().mockImplementation(async (req) => staged(req.projectDir));
  vi.mocked(stageAdvance).mockReset().mockImplementation(async (req) => staged(req.projectDir));
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('plopfile', () => {
  it('registers the generators, the stage action, and the template helpers and partials', async () => {
    const plop = await nodePlop();
    bgScaffoldGenerators(plop);
    expect(plop.getGeneratorList().map((g) => g.name)).toEqual(expect.arrayContaining(['rename-column', 'add-column', 'advance']));
    expect(plop.getActionTypeList()).toEqual([STAGE_ACTION]);
    expect(plop.getHelperList()).toEqual(expect.arrayContaining(Object.keys(templateHelpers)));
    expect(plop.getPartialList().length).toBeGreaterThan(0);
    const prompts = plop.getGenerator('rename-column').prompts as Array<{ name: string }>;
    expect(prompts.map((p) => p.name)).toEqual(['app', 'model', 'field', 'to', 'strategy', 'phases']);
  });

  it('the stage action hands the staged change back and writes nothing', async () => {
    const before = snapshotTree(project);
    const plop = await nodePlop();
    bgScaffoldGenerators(plop);
    const slot: StageSlot = {};
    const { failures } = await plop.getGenerator('rename-column').runActions({ ...request(), [RUN_SLOT]: slot });
    expect(failures).toEqual([]);
    expect(stageRenameColumn).toHaveBeenCalledWith(request());
    expect(slot.result?.stage.files().map((f) => f.path)).toEqual(['shop/migrations/0002_x.py']);
    expect(snapshotTree(project)).toEqual(before);
  });

  it('rethrows the command layer\'s own error, not node-plop\'s copy of its message', async () => {
    const error = new BgScaffoldError('unknown app "shp"');
    vi.mocked(stageRenameColumn).mockRejectedValue(error);
    await expect(stageWithGenerator('rename-column', request())).rejects.toBe(error);
  });

  it('runs advance with the change id', async () => {
    const change = await stageWithGenerator('advance', { projectDir: project, change: 'order-quantity-to-qty' });
    expect(stageAdvance).toHaveBeenCalledWith({ projectDir: project, change: 'order-quantity-to-qty' });
    expect(change.phase).toBe(1);
  });

  it('leaves the global Handlebars alone', async () => {
    await stageWithGenerator('rename-column', request());
    expect(Handlebars.helpers).not.toHaveProperty('py');
  });
});
