/**
 * The background form of a backfill in the matrix (issue 21): after the registering release's
 * migrate, the next release's migration (generated early, in a scratch copy) must stop at its guard,
 * naming the command, and apply nothing; then `manage.py bg_scaffold_backfill` works the table in
 * small batches while the previous release (the matrix's writer) and the registering release (a
 * loop of inserts through its own save()) write; nothing may be left to fill. The matrix then
 * migrates that release backwards and forwards again, which drops the registration and makes it
 * anew: before the guarded release the command runs once more, as a team would.
 */
import path from 'node:path';
import { copyProject, runManage } from '../harness/django-project.js';
import type { DjangoEnv } from '../harness/python-env.js';
import { runMain } from '../cli/in-process.js';
import type { Scenario } from './matrix.js';

export interface BackgroundForm {
  change: string;
  /** The release whose migration registers the backfill; the next one begins with the guard. */
  registeredIn: number;
  /** The table filled (default shop_order) and the label of its app (default shop). */
  table?: string;
  app?: string;
  /** SQL counting the rows still to fill. */
  remaining: string;
  /** The column that the guarded release makes NOT NULL (on `table`): NULL-able until then. */
  notNullColumn: string;
  /**
   * What to check in the guarded release, where it differs: a column swap makes the filled
   * column NOT NULL and gives it the old one's name, so both queries name other columns there.
   */
  guarded?: { notNullColumn: string; remaining: string };
  /** Python run in the registering release's tree while the command works (default: inserts of shop orders through save()). */
  inserts?: string;
}

type Verify = NonNullable<Scenario['verify']>['run'];

/** The work folder of a run, from its project (`<work>/project`) or a release tree (`<work>/trees/release-<k>`). */
const runOf = (dir: string) => (path.basename(dir) === 'project' ? path.dirname(dir) : path.dirname(path.dirname(dir)));
const lastLines = (text: string) => text.trim().split('\n').slice(-3).join(' / ');

// Inserts only: the audited rows are the matrix writers', whose values a read-modify-write here would overwrite.
const ORDER_INSERTS = [
  'import random',
  'from shop.models import Order',
  'for i in range(300):',
  '    order = Order.objects.order_by("?").first()',
  '    order.pk = None',
  '    order.reference = f"BG-{random.randrange(10**9)}"',
  '    order.save()',
].join('\n');

/** The scenario's `verify` (after each migrate) and the `developer` step that runs the command again before the guarded release. */
export function backgroundForm(form: BackgroundForm): { verify: Verify; beforeRelease: (project: string, release: number) => Promise<void> } {
  const command = ['bg_scaffold_backfill', '--change', form.change];
  const guarded = form.registeredIn + 1;
  const table = form.table ?? 'shop_order';
  const app = form.app ?? 'shop';
  const applied = `SELECT count(*) FROM django_migrations WHERE app = '${app}'`;
  // Per run (one work folder per scenario and Django line): where to run the command again.
  const runs = new Map<string, { env: DjangoEnv; tree: string; databaseUrl: string }>();
  const verify: Verify = async (tree, phase, env, sql, databaseUrl) => {
    const notNullOf = async (column: string) => (await sql(`SELECT attnotnull FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = '${column}' AND NOT attisdropped`)).trim();
    const notNull = () => notNullOf(form.notNullColumn);
    const remaining = async () => (await sql(form.remaining)).trim();
    if (phase < form.registeredIn) {
      return (await sql("SELECT to_regclass('bg_scaffold_backfill') IS NOT NULL")).trim() === 'f' ? null : `release ${phase} registered a background backfill`;
    }
    if (phase === guarded) {
      const column = form.guarded?.notNullColumn ?? form.notNullColumn;
      const left = (await sql(form.guarded?.remaining ?? form.remaining)).trim();
      const isNotNull = await notNullOf(column);
      return isNotNull === 't' && left === '0' ? null : `release ${phase}: ${column} NOT NULL is ${isNotNull || '(no such column)'}, ${left} rows to fill`;
    }
    if (phase !== form.registeredIn) return null;
    runs.set(runOf(tree), { env, tree, databaseUrl });
    if ((await remaining()) === '0') return 'no row is left to fill: the scenario would prove nothing';

    const early = path.join(path.dirname(tree), `release-${guarded}-before-the-command`);
    await copyProject(tree, early);
    const advanced = await runMain(['advance', form.change, '--project', early, '--yes']);
    if (advanced.code !== 0) return `bg-scaffold advance (release ${guarded}, early): ${advanced.stderr.trim()}`;
    const before = (await sql(applied)).trim();
    const refused = await runManage(env, early, ['migrate', '--no-input'], { databaseUrl });
    const said = `${refused.stdout}\n${refused.stderr}`;
    if (refused.code === 0) return `release ${guarded}'s migrate ran before the command had: the guard let it through`;
    if (!said.includes(`python manage.py bg_scaffold_backfill --change ${form.change}`)) return `release ${guarded}'s migrate failed without naming the command: ${lastLines(said)}`;
    if ((await sql(applied)).trim() !== before) return 'the refused migration was recorded as applied';
    if ((await notNull()) !== 'f') return 'the refused migration set NOT NULL';

    const [worked, writes] = await Promise.all([
      runManage(env, tree, [...command, '--batch-size', '100', '--sleep-ratio', '0.2'], { databaseUrl }),
      runManage(env, tree, ['shell', '-c', form.inserts ?? ORDER_INSERTS], { databaseUrl }),
    ]);
    if (worked.code !== 0) return `bg_scaffold_backfill failed: ${lastLines(worked.stderr || worked.stdout)}`;
    if (writes.code !== 0) return `release ${phase}'s inserts failed: ${lastLines(writes.stderr)}`;
    const left = await remaining();
    if (left !== '0') return `${left} rows are still to fill after the command finished`;
    const batches = (await sql("SELECT count(*) FROM bg_scaffold_backfill_batch WHERE state = 'done'")).trim();
    return Number(batches) > 1 ? null : `the command worked in ${batches} batch(es); the scenario wants several while both releases write`;
  };
  const beforeRelease = async (project: string, release: number) => {
    if (release !== guarded) return;
    const run = runs.get(runOf(project));
    // Not raised: a failure leaves the registration unfinished, and the guarded release's migrate then says so.
    if (run) await runManage(run.env, run.tree, command, { databaseUrl: run.databaseUrl });
  };
  return { verify, beforeRelease };
}
