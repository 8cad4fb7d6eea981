/**
 * add-column in the matrix: every PostgreSQL plan variant, and the single-release form as a
 * negative control (its stamped warning says the previous release's inserts fail: they must).
 * The release that has the new column sets it on every order it creates (`sets`) and reads it
 * back (the driver's get-set-fields); the previous release does not know it and keeps inserting.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { copyProject, runManage } from '../harness/django-project.js';
import type { DjangoEnv } from '../harness/python-env.js';
import { runMain } from '../cli/in-process.js';
import type { Scenario } from './matrix.js';

const add = ['add-column', '--app', 'shop', '--model', 'Order'];

/**
 * The developer's part of release 1 of the backfill plan: the marked TODO says every write path
 * sets the field, updates included. Without this, a save() of a row read before release 2's
 * backfill writes its NULL back, and release 2's NOT NULL fails (measured here).
 */
async function writeWeightOnSave(project: string, release: number): Promise<void> {
  if (release !== 1) return;
  const file = path.join(project, 'shop', 'models.py');
  const text = await fs.readFile(file, 'utf8');
  const anchor = '    def save(self, *args, **kwargs):\n';
  if (!text.includes(anchor)) throw new Error('add-column scenario: Order.save() not found in models.py');
  await fs.writeFile(file, text.replace(anchor, `${anchor}        if self.weight is None:\n            self.weight = 11\n`));
}

const WEIGHT_CHANGE = 'order-add-weight';
const BACKFILL = ['bg_scaffold_backfill', '--change', WEIGHT_CHANGE];

/** Per run of the background scenario (one work folder per scenario and Django line): where to run the command again. */
const backgroundRuns = new Map<string, { env: DjangoEnv; tree: string; databaseUrl: string }>();

/** The work folder of a run, from its project (`<work>/project`) or a release tree (`<work>/trees/release-<k>`). */
const runOf = (dir: string) => (path.basename(dir) === 'project' ? path.dirname(dir) : path.dirname(path.dirname(dir)));

/**
 * After each phase's migrate of the background form (the previous release writing meanwhile): release 1
 * registers nothing; release 2's migration has registered the fill, which release 3's guard must wait
 * for, and the command then does; release 3 has made the column NOT NULL.
 */
async function guardThenCommand(tree: string, phase: number, env: DjangoEnv, sql: (query: string) => Promise<string>, databaseUrl: string): Promise<string | null> {
  const weightNotNull = async () => (await sql("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'shop_order'::regclass AND attname = 'weight'")).trim();
  if (phase === 1) {
    const registered = (await sql("SELECT to_regclass('bg_scaffold_backfill') IS NOT NULL")).trim();
    return registered === 'f' ? null : 'release 1 registered a background backfill';
  }
  if (phase === 3) {
    const left = (await sql('SELECT count(*) FROM shop_order WHERE weight IS NULL')).trim();
    return (await weightNotNull()) === 't' && left === '0' ? null : `release 3: weight NOT NULL is ${await weightNotNull()}, ${left} rows NULL`;
  }
  backgroundRuns.set(runOf(tree), { env, tree, databaseUrl });
  const nulls = async () => (await sql('SELECT count(*) FROM shop_order WHERE weight IS NULL')).trim();
  if ((await nulls()) === '0') return 'no row is left to fill: the scenario would prove nothing';

  // Before the command has run, release 3's migration stops at its guard, naming the command, and applies nothing.
  const early = path.join(path.dirname(tree), 'release-3-before-the-command');
  await copyProject(tree, early);
  const advanced = await runMain(['advance', WEIGHT_CHANGE, '--project', early, '--yes']);
  if (advanced.code !== 0) return `bg-scaffold advance (release 3, early): ${advanced.stderr.trim()}`;
  const refused = await runManage(env, early, ['migrate', '--no-input'], { databaseUrl });
  const said = `${refused.stdout}\n${refused.stderr}`;
  if (refused.code === 0) return "release 3's migrate ran before the command had: the guard let it through";
  if (!said.includes(`python manage.py bg_scaffold_backfill --change ${WEIGHT_CHANGE}`)) return `release 3's migrate failed without naming the command: ${said.trim().split('\n').slice(-3).join(' / ')}`;
  const enforced = (await sql("SELECT count(*) FROM django_migrations WHERE app = 'shop' AND name LIKE '%weight_enforce'")).trim();
  if (enforced !== '0') return 'the refused migration was recorded as applied';
  if ((await weightNotNull()) !== 'f') return 'the refused migration set NOT NULL';

  // The command fills the rows in small batches while the previous release (its writer: inserts and
  // updates) and this release (a loop of inserts through save() in this tree) write.
  // (Inserts only: the audited rows are the matrix writers', whose values a read-modify-write here would overwrite.)
  const releaseWrites = [
    'import random',
    'from shop.models import Order',
    'for i in range(300):',
    '    order = Order.objects.order_by("?").first()',
    '    order.pk = None',
    '    order.reference = f"BG-{random.randrange(10**9)}"',
    '    order.save()',
  ].join('\n');
  const [command, writes] = await Promise.all([
    runManage(env, tree, [...BACKFILL, '--batch-size', '100', '--sleep-ratio', '0.2'], { databaseUrl }),
    runManage(env, tree, ['shell', '-c', releaseWrites], { databaseUrl }),
  ]);
  if (command.code !== 0) return `bg_scaffold_backfill failed: ${(command.stderr || command.stdout).trim().split('\n').slice(-3).join(' / ')}`;
  if (writes.code !== 0) return `release 2's writes failed: ${writes.stderr.trim().split('\n').slice(-3).join(' / ')}`;
  const left = await nulls();
  if (left !== '0') return `${left} rows still have no weight after the command finished`;
  const batches = (await sql("SELECT count(*) FROM bg_scaffold_backfill_batch WHERE state = 'done'")).trim();
  return Number(batches) > 1 ? null : `the command worked in ${batches} batch(es); the scenario wants several while both releases write`;
}

/**
 * Before release 3: the matrix migrated release 2 backwards and forwards again, which removed the
 * registration and made it anew; the team runs the command again, which walks the keys and finds
 * nothing left to fill. A failure here is not raised: release 3's guard then stops its migrate.
 */
async function commandAgainBeforeRelease3(project: string, release: number): Promise<void> {
  await writeWeightOnSave(project, release);
  if (release !== 3) return;
  const run = backgroundRuns.get(runOf(project));
  if (run) await runManage(run.env, run.tree, BACKFILL, { databaseUrl: run.databaseUrl });
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'add-column nullable, indexed',
    djangoLines: ['latest'],
    cli: [...add, '--name', 'gift_message', '--type', 'CharField', '--max-length', '200', '--null', '--db-index'],
    codeField: ['quantity', 'quantity'],
    sets: [{}, { gift_message: 'for you, ünïcode ✓' }],
  },
  {
    name: 'add-column with a database default',
    cli: [...add, '--name', 'priority', '--type', 'IntegerField', '--default', '3'],
    codeField: ['quantity', 'quantity'],
    sets: [{}, { priority: 7 }],
  },
  {
    // Release 1 writes it while the previous release inserts NULLs; release 2 fills those and sets NOT NULL.
    name: 'add-column NOT NULL with --backfill-sql',
    cli: [...add, '--name', 'weight', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 2'],
    codeField: ['quantity', 'quantity', 'quantity'],
    // bulk_create() bypasses save(): the driver sets it there (and on every create).
    sets: [{}, { weight: 11 }, { weight: 11 }],
    developer: writeWeightOnSave,
  },
  {
    // --backfill background: release 2 only registers the fill; bg_scaffold_backfill does it while
    // releases 1 and 2 write; release 3's guard refuses before the command ran and passes after.
    name: 'add-column NOT NULL, background backfill',
    // One line in npm test (the in-migrate backfill runs on both); BG_MATRIX_ALL_LINES=1 runs both.
    djangoLines: ['latest'],
    cli: [...add, '--name', 'weight', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 2', '--backfill', 'background'],
    codeField: ['quantity', 'quantity', 'quantity', 'quantity'],
    sets: [{}, { weight: 11 }, { weight: 11 }, { weight: 11 }],
    developer: commandAgainBeforeRelease3,
    verify: {
      check: "release 1 registers nothing; in release 2 release 3's guard stops migrate before the command ran, which then fills every row while both releases write; in release 3 weight is NOT NULL",
      run: guardThenCommand,
    },
  },
  {
    // The seed's first customer has pk 1 in every scenario's fresh database.
    name: 'add-column foreign key',
    djangoLines: ['5.2'],
    cli: [...add, '--name', 'referred_by', '--type', 'ForeignKey', '--to', 'Customer', '--on-delete', 'SET_NULL', '--null'],
    codeField: ['quantity', 'quantity'],
    sets: [{}, { referred_by_id: 1 }],
  },
];

export const NEGATIVE_CONTROLS: Scenario[] = [
  {
    name: 'negative: add-column --strategy single-release',
    cli: [...add, '--name', 'weight', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 2', '--strategy', 'single-release'],
    codeField: ['quantity', 'quantity'],
    sets: [{}, { weight: 11 }],
    expectBroken: true,
    djangoLines: ['5.2'], // test/verify runs it again through the user's command
  },
];
