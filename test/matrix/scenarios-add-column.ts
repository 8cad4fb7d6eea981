/**
 * add-column in the matrix: every PostgreSQL plan variant, and the single-release form as a
 * negative control (its stamped warning says the previous release's inserts fail: they must).
 * The release that has the new column sets it on every order it creates (`sets`) and reads it
 * back (the driver's get-set-fields); the previous release does not know it and keeps inserting.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { backgroundForm } from './background-backfill.js';
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

const weightInTheBackground = backgroundForm({ change: 'order-add-weight', registeredIn: 2, remaining: 'SELECT count(*) FROM shop_order WHERE weight IS NULL', notNullColumn: 'weight' });

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
    developer: async (project, release) => {
      await writeWeightOnSave(project, release);
      await weightInTheBackground.beforeRelease(project, release);
    },
    verify: {
      check: "release 1 registers nothing; in release 2 release 3's guard stops migrate before the command ran, which then fills every row while both releases write; in release 3 weight is NOT NULL",
      run: weightInTheBackground.verify,
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
