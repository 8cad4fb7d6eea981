/**
 * `--backfill background` (issue 21): a backfill that outgrows a deploy. The migration only registers
 * it in the runtime's tracking table and returns; `python manage.py bg_scaffold_backfill` works it in
 * batches while both releases serve; the next phase's migration begins with a guard that fails until
 * it finished. Each operation decides where the registration and the guard go (its plan.ts); the
 * pieces they share, and what PLAN.md tells the team, are here.
 */
import { fail } from '../../errors.js';
import type { Database } from '../../project/types.js';
import { type AskContext, oneOf, text } from '../options.js';
import { q, sqlString } from './sql.js';
import type { BackgroundBackfill, MigrationOperation } from './types.js';

export const BACKFILL_MODES = ['in-migrate', 'background'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

/** Rows per second the generated backfill reached on 2 cores (bench/README.md, issue 20). */
export const BACKFILL_ROWS_PER_SECOND = { low: 25_000, high: 39_000 } as const;
/** Above this many rows, PLAN.md recommends the background form: a deploy would wait minutes. */
export const BACKGROUND_ABOVE_ROWS = 5_000_000;

/**
 * `--backfill in-migrate|background`, asked only when `offered` says the plan backfills (with SQL,
 * on PostgreSQL): elsewhere there is nothing to choose.
 */
export function backfillOption(offered: (context: AskContext) => boolean) {
  return oneOf(BACKFILL_MODES, {
    flag: '--backfill <where>',
    description: 'where the backfill runs: in-migrate (default; the deploy waits) or background (migrate registers it, manage.py bg_scaffold_backfill fills it, the next release checks it finished)',
    ask: async (context: AskContext) =>
      offered(context)
        ? context.prompter.select<BackfillMode>({
            message: 'The backfill runs',
            choices: [
              { name: 'in migrate: the deploy waits for it (fine up to a few million rows)', value: 'in-migrate', short: 'in migrate' },
              {
                name: 'in the background: migrate registers it, you run manage.py bg_scaffold_backfill, the next release checks it finished',
                value: 'background',
                short: 'background',
              },
            ],
            default: 'in-migrate',
          })
        : undefined,
  });
}

/** `--database-url`: read once at generation for the table's row estimate, which PLAN.md's advice on the form cites. */
export function rowEstimateOption() {
  return text({
    flag: '--database-url <url>',
    description: "a PostgreSQL database (postgres://...) to estimate the table's rows from (pg_class.reltuples): PLAN.md then says whether the backfill should run in the background",
    flagOnly: 'read once for an estimate; without it the choice of --backfill is yours',
  });
}

/** A warning for an in-migrate backfill over a table the estimate says is large; null otherwise. */
export function inMigrateWarning(table: string, rowsEstimate: number | null | undefined): string | null {
  if (rowsEstimate == null || rowsEstimate <= BACKGROUND_ABOVE_ROWS) return null;
  const [fast, slow] = inMigrateMinutes(rowsEstimate);
  return `"${table}" holds about ${rowsText(rowsEstimate)} rows (pg_class.reltuples): the in-migrate backfill would hold the deploy about ${fast}–${slow} min; consider --backfill background`;
}

/** The tracking table's name for one backfill of a change: unique in the project, as the change id is. */
export function backgroundBackfillName(change: string, table: string, column: string): string {
  return `${change}/${table}.${column}`;
}

/** `python manage.py bg_scaffold_backfill --change <change>`. */
export function backfillCommand(change: string): string {
  return `python manage.py bg_scaffold_backfill --change ${change}`;
}

type BatchedBackfill = Extract<MigrationOperation, { kind: 'backfill' }>;

/** The registration of a batched backfill: the same UPDATE, worked by the command instead of migrate. */
export function registerBackfillStep(step: BatchedBackfill, change: string, name: string, why: string): MigrationOperation {
  return { kind: 'register-backfill', comment: why, name, change, table: step.table, pk: step.pk, set: step.set, where: step.where };
}

/** The guard that begins the phase after the registration. */
export function requireBackfillFinishedStep(change: string, names: string[]): MigrationOperation {
  return {
    kind: 'require-backfill-finished',
    comment: `Stops here, naming the command to run, unless the background backfill registered by the previous release has finished (${backfillCommand(change)}).`,
    change,
    names,
  };
}

/** Refuses `--backfill background` where it cannot work, in one line each. */
export function refuseBackground(request: { database: Database; backfills: boolean; nothingToFill: string }): void {
  if (request.database !== 'postgresql') {
    fail(`--backfill background needs PostgreSQL (the runtime's tracking table and bg_scaffold_backfill command); on ${request.database} leave out --backfill: the backfill runs in migrate`);
  }
  if (!request.backfills) fail(`--backfill background: ${request.nothingToFill}; leave out --backfill`);
}

/**
 * PLAN.md's "Verified on" for a background form the matrix does not run: what holds it instead.
 * `form` names the plan shape not run ("of a key swapped with the foreign keys that follow it").
 */
export function backgroundNotInMatrix(form: string): string {
  return (
    "The background form (--backfill background): its migrations are held by golden files, and the runtime's RegisterBackfill, RequireBackfillFinished and bg_scaffold_backfill are tested on PostgreSQL by its Python tests; " +
    `the blue-green matrix runs the background form of add-column, rename-column copy, set-not-null's default-first form and change-column-type's swap of one column, not yet ${form}.`
  );
}

/** PLAN.md's "Verified on" for the background forms the matrix runs (keep in step with the scenarios that use test/matrix/background-backfill.ts). */
export const BACKGROUND_VERIFIED_IN_MATRIX =
  "Django 5.2 LTS and the newest Django on PostgreSQL 15 (blue-green matrix): bg_scaffold_backfill runs while the registering release and the one before it write, and the next release's guard stops migrate until it has";

/** Whole minutes (at least 1) an in-migrate backfill of `rows` holds the deploy: at the fastest and the slowest measured rate. */
function inMigrateMinutes(rows: number): [fast: number, slow: number] {
  const minutes = (perSecond: number) => Math.max(1, Math.round(rows / perSecond / 60));
  return [minutes(BACKFILL_ROWS_PER_SECOND.high), minutes(BACKFILL_ROWS_PER_SECOND.low)];
}

function rowsText(rows: number): string {
  if (rows >= 1_000_000_000) return `${(rows / 1_000_000_000).toFixed(1).replace(/\.0$/, '')} billion`;
  if (rows >= 1_000_000) return `${(rows / 1_000_000).toFixed(1).replace(/\.0$/, '')} million`;
  return rows.toLocaleString('en-US');
}

/** PLAN.md's advice on the form, from the table's row estimate when there is one. */
export function chooseBackgroundAdvice(table: string, rowsEstimate: number | null): string {
  const rates = `${BACKFILL_ROWS_PER_SECOND.low / 1000}–${BACKFILL_ROWS_PER_SECOND.high / 1000}k rows/s`;
  const rule = `Choose the background form when the in-migrate backfill would hold the deploy for minutes: above about ${rowsText(BACKGROUND_ABOVE_ROWS)} rows at the ${rates} the generated backfill reaches (bench/README.md), or whenever a deploy must not wait on a table's size.`;
  if (rowsEstimate === null) return `${rule} No database was read at generation, so the choice was yours; \`SELECT reltuples::bigint FROM pg_class WHERE oid = '${q(table)}'::regclass\` estimates the rows.`;
  const [fast, slow] = inMigrateMinutes(rowsEstimate);
  const wait = fast === slow ? `about ${fast} min` : `about ${fast}–${slow} min`;
  const verdict = rowsEstimate > BACKGROUND_ABOVE_ROWS ? 'the background form suits it' : 'in migrate would do as well';
  return `${rule} At generation "${table}" held about ${rowsText(rowsEstimate)} rows (pg_class.reltuples): in migrate the deploy would wait ${wait}, so ${verdict}.`;
}

/** What PLAN.md tells the team about a background backfill: what migrate does, what they run, how to watch it, the guard and its escape. */
export function backgroundBackfill(spec: {
  change: string;
  table: string;
  registeredIn: number;
  guardedIn: number;
  names: string[];
  /** What waits a release for the filled rows; null when nothing moves. */
  moved: string | null;
  /** SQL that counts the rows still to fill (0 before forcing the guard). */
  remainingSql: string;
  rowsEstimate: number | null;
}): BackgroundBackfill {
  const command = backfillCommand(spec.change);
  const { change } = spec;
  const many = spec.names.length > 1;
  return {
    registeredIn: spec.registeredIn,
    guardedIn: spec.guardedIn,
    names: spec.names,
    command,
    moved: spec.moved,
    rowsEstimate: spec.rowsEstimate,
    migrate:
      `Release ${spec.registeredIn}'s migration only registers the backfill${many ? 's' : ''} (${spec.names.map((n) => `"${n}"`).join(', ')}) in the runtime's tracking table bg_scaffold_backfill and returns at once: ` +
      `the deploy does not wait for the rows. Every release serving from then on writes the column${many ? 's' : ''} for new rows, so what the command fills stays filled.`,
    schedule: [
      { where: 'Once, by hand or from the deploy pipeline, after release ' + spec.registeredIn + "'s migration", lang: 'sh', text: `${command} --max-seconds 3600` },
      { where: 'cron (every 5 minutes; runs from several hosts at once are safe: batches are claimed with SKIP LOCKED)', lang: 'crontab', text: `*/5 * * * * cd /srv/app && ${command} --max-seconds 270 --sleep-ratio 0.5` },
      {
        where: 'A Kubernetes Job (a sketch)',
        lang: 'yaml',
        text: [
          'apiVersion: batch/v1',
          'kind: Job',
          'metadata:',
          `  name: bg-scaffold-backfill-${change.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}`,
          'spec:',
          '  backoffLimit: 100 # a killed run resumes from its last batch',
          '  template:',
          '    spec:',
          '      restartPolicy: OnFailure',
          '      containers:',
          '        - name: backfill',
          '          image: YOUR_APP_IMAGE',
          '          command:',
          ...['python', 'manage.py', 'bg_scaffold_backfill', '--change', change, '--sleep-ratio', '"0.5"'].map((arg) => `            - ${arg}`),
        ].join('\n'),
      },
      {
        where: 'Celery beat (a task that calls the command; the command itself needs Django only)',
        lang: 'python',
        text: [
          '# tasks.py',
          'from celery import shared_task',
          'from django.core.management import call_command',
          '',
          '@shared_task',
          'def bg_scaffold_backfill():',
          `    call_command("bg_scaffold_backfill", change="${change}", max_seconds=270)`,
          '',
          '# settings.py',
          'CELERY_BEAT_SCHEDULE = {',
          '    "bg-scaffold-backfill": {"task": "yourapp.tasks.bg_scaffold_backfill", "schedule": 300.0},',
          '}',
        ].join('\n'),
      },
      {
        where: 'RQ (rq-scheduler, or django-rq\'s scheduler)',
        lang: 'python',
        text: [
          'from django.core.management import call_command',
          '',
          `scheduler.cron("*/5 * * * *", func=call_command, args=["bg_scaffold_backfill"], kwargs={"change": "${change}", "max_seconds": 270})`,
        ].join('\n'),
      },
    ],
    watch: [
      `\`bg-scaffold status --database-url production=postgres://...\`: each registered backfill's state, keys walked of the estimate, rows updated, since when.`,
      `\`python manage.py bg_scaffold_backfill --status\` on a host that runs the app: the same, from the tracking tables.`,
      `The command stops after --max-seconds and resumes from the last finished batch on its next run; --batch-size and --sleep-ratio throttle it, and it pauses on its own while a replica lags or sessions queue for the table's locks. A crashed or killed run loses at most the batch it was in.`,
      `\`python manage.py bg_scaffold_backfill --pause NAME\` stops every worker of a backfill at its next batch (a busy hour, say); \`--resume NAME\` lets them go on.`,
    ],
    guard:
      `Release ${spec.guardedIn}'s migration begins with RequireBackfillFinished: until every backfill above is finished, migrate stops there, before any other step, and names the command (${command}). ` +
      `Run the command to the end, then migrate again.${spec.moved ? ` ${spec.moved}` : ''}`,
    force: {
      sql: `UPDATE bg_scaffold_backfill SET state = 'finished', finished_at = now(), updated_at = now() WHERE change = ${sqlString(change)};`,
      why:
        `Dangerous: the guard is all that stands between rows the command has not reached and the step that needs them. ` +
        `Forced, that step fails on them at best (a NOT NULL that does not validate), or the next release reads them unfilled. ` +
        `Mark it finished only once the rows are filled another way and ${many ? 'each of these returns' : 'this returns'} 0: \`${spec.remainingSql}\`. bg-scaffold has no --force flag on purpose.`,
    },
    choose: chooseBackgroundAdvice(spec.table, spec.rowsEstimate),
  };
}
