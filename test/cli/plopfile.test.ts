/**
 * plopfile.ts: bg-scaffold's operations as node-plop generators, off the CLI's path. Their
 * questions are the CLI's (built from the same declarations) and their action writes what the
 * command layer stages.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import nodePlop from 'node-plop';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import bgScaffoldGenerators, { WRITE_ACTION } from '../../plopfile.js';
import type { Choice, Prompter } from '../../src/operations/options.js';
import { OPERATIONS } from '../../src/operations/index.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import { snapshotTree } from './snapshot-tree.js';

const shop = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'examples', 'shop');
let work: string;
const savedEpoch = process.env.SOURCE_DATE_EPOCH;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'bg-plop-'));
  process.env.SOURCE_DATE_EPOCH = '1790000000';
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
});

function copyOfShop(name: string): string {
  const dir = path.join(work, name);
  cpSync(shop, dir, { recursive: true });
  return dir;
}

/** Answers in order; records the questions. */
function scripted(answers: unknown[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = <T>(kind: string, q: { message: string; choices?: Choice<T>[] }) => {
    asked.push(`${kind} ${q.message}`);
    if (answers.length === 0) throw new Error(`unexpected question: ${q.message}`);
    return Promise.resolve(answers.shift() as T);
  };
  return {
    asked,
    select: (q) => next('select', q),
    search: (q) => next('search', q),
    input: (q) => next('input', q),
    confirm: (q) => next('confirm', q),
  };
}

describe('plopfile', () => {
  it('offers one generator per operation, and advance, with one action that writes', async () => {
    const plop = await nodePlop();
    bgScaffoldGenerators(plop);
    expect(plop.getGeneratorList().map((g) => g.name)).toEqual([...OPERATIONS.map((o) => o.name), 'advance']);
    expect(plop.getActionTypeList()).toEqual([WRITE_ACTION]);
  });

  it("asks the CLI's questions and writes what the command layer stages", async () => {
    const viaPlop = copyOfShop('plop');
    const prompter = scripted(['shop', 'Order', 'quantity', 'qty', 'trigger']);
    const plop = await nodePlop('', { destBasePath: viaPlop, force: false });
    bgScaffoldGenerators(plop, { prompter, common: { static: true } });
    const generator = plop.getGenerator('rename-column');
    const answers = await generator.runPrompts();
    expect(prompter.asked).toEqual([
      'select App',
      'select Model',
      'search Field to rename (type to filter)',
      'input New name for Order.quantity',
      'select Strategy (postgresql)',
    ]);
    const { failures, changes } = await generator.runActions(answers);
    expect(failures).toEqual([]);
    expect(changes[0]!.path).toMatch(/^order-quantity-to-qty phase 1\/2: wrote /);

    const direct = copyOfShop('direct');
    const staged = await stageRenameColumn({ projectDir: direct, static: true, app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'trigger' });
    await staged.stage.commit();
    expect(snapshotTree(viaPlop)).toEqual(snapshotTree(direct));
  });

  it('advance offers the changes in flight', async () => {
    const project = copyOfShop('advance');
    await (await stageRenameColumn({ projectDir: project, static: true, app: 'shop', model: 'Order', field: 'quantity', to: 'qty' })).stage.commit();
    const prompter = scripted(['order-quantity-to-qty']);
    const plop = await nodePlop('', { destBasePath: project, force: false });
    bgScaffoldGenerators(plop, { prompter, common: { static: true } });
    const generator = plop.getGenerator('advance');
    const { failures, changes } = await generator.runActions(await generator.runPrompts());
    expect(failures).toEqual([]);
    expect(changes[0]!.path).toMatch(/^order-quantity-to-qty phase 2\/2: wrote /);
  });

  it('leaves the global Handlebars alone', async () => {
    const project = copyOfShop('handlebars');
    const plop = await nodePlop('', { destBasePath: project, force: false });
    bgScaffoldGenerators(plop, { prompter: scripted(['shop', 'Order', 'quantity', 'qty', 'trigger']), common: { static: true } });
    const generator = plop.getGenerator('rename-column');
    await generator.runActions(await generator.runPrompts());
    expect(Handlebars.helpers).not.toHaveProperty('py');
  });
});
