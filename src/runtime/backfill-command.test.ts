import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../commands/advance.js';
import { stageAddColumn } from '../operations/add-column/operation.js';
import { backfillCommandFiles } from './backfill-command.js';
import { RUNTIME_MODULE } from './runtime.js';

const shop = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-backfill-command-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MANAGEMENT = ['shop/management/__init__.py', 'shop/management/commands/__init__.py', 'shop/management/commands/bg_scaffold_backfill.py'];

describe('manage.py bg_scaffold_backfill in a project', () => {
  it('is a module in <app>/management/commands that imports the command from the runtime version the migrations import', () => {
    const [management, commands, command] = backfillCommandFiles('shop/migrations');
    expect([management!.path, commands!.path, command!.path]).toEqual(MANAGEMENT);
    expect(management!.content).toBe('');
    expect(command!.content).toContain(`from ...migrations.${RUNTIME_MODULE} import BackfillCommand as Command\n`);
  });

  it('is written by the release that registers a background backfill, once per app: a second change finds it there', async () => {
    const project = join(work, 'shop');
    cpSync(shop, project, { recursive: true });
    const written = (staged: Awaited<ReturnType<typeof stageAddColumn>>) => staged.stage.files().map((file) => file.path).filter((path) => path.includes('/management/'));
    const request = { projectDir: project, app: 'shop', model: 'Order', type: 'BigIntegerField', backfill: 'background' as const };

    const first = await stageAddColumn({ ...request, name: 'weight', backfillSql: 'quantity::bigint * 2' });
    expect(written(first), 'release 1 registers nothing').toEqual([]);
    await first.stage.commit();
    const registering = await stageAdvance({ projectDir: project, change: first.plan.change });
    expect(written(registering).sort()).toEqual(MANAGEMENT);
    await registering.stage.commit();

    const second = await stageAddColumn({ ...request, name: 'volume', backfillSql: 'quantity::bigint * 3' });
    await second.stage.commit();
    const again = await stageAdvance({ projectDir: project, change: second.plan.change });
    expect(again.stage.files().some((file) => file.path.endsWith('_fill.py')), 'the second change registers its backfill').toBe(true);
    expect(written(again), 'the command is there already').toEqual([]);
    expect(readFileSync(join(project, 'shop/management/commands/bg_scaffold_backfill.py'), 'utf8')).toBe(backfillCommandFiles('shop/migrations')[2]!.content);
  });
});
