/**
 * The migration linters teams already run, on every golden plan's migrations (the PostgreSQL plans):
 * django-migration-linter (`manage.py lintmigrations`) on the project, and squawk on what
 * `manage.py sqlmigrate` prints for each migration, on PostgreSQL settings. Each plan's releases are
 * laid over a copy of its example project (the migrations only: a release's models.py and the code
 * it asks for are the developer's part) and linted in one Python process per plan; squawk runs once
 * over every migration.
 *
 * Every migration passes both, but for a risk its plan stamps, which the linters rightly keep
 * flagging (STAMPED_RISKS). What a migration does on purpose carries each linter's own ignore with
 * its reason, and each ignore is needed: without it (test/real/linted_migrations.py strips it), the
 * linter flags exactly what the ignore names. squawk's rules on column types judge the model's
 * fields, which bg-scaffold keeps as the model has them: they are left to each team (FIELD_TYPE_RULES).
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyProject,
  ensureDjangoEnv,
  PROVISION_TIMEOUT_MS,
  REAL_STACK_TIMEOUT_MS,
  repoRoot,
  requireRealStack,
  sharedPostgres,
  squawkBinary,
  uniqueDatabaseName,
  type DjangoEnv,
  type PgServer,
} from '../harness/index.js';
import { runCommand } from '../harness/process.js';

/**
 * squawk rules that judge a column's type (integer rather than bigint, varchar rather than text):
 * the model's choice, which bg-scaffold copies as makemigrations would and squawk flags in
 * makemigrations' migrations alike. Excluded here as a team that keeps such fields excludes them.
 */
const FIELD_TYPE_RULES = ['ban-char-field', 'prefer-bigint-over-int', 'prefer-bigint-over-smallint', 'prefer-identity', 'prefer-text-field', 'prefer-timestamptz'];

/**
 * Plans that knowingly take a risk, stamped into their PLAN.md and migration, which the linters
 * rightly flag: no ignore hides it, and the findings must be exactly these (a negative control: the
 * linters catch what is unsafe).
 */
const STAMPED_RISKS: Record<string, Record<string, { squawk: string[]; migrationLinter: string[] }>> = {
  // --strategy single-release: NOT NULL while the previous release inserts rows without the column.
  'add-column/single-release': { 'shop.0004_order_weight_add': { squawk: ['constraint-missing-not-valid'], migrationLinter: ['NOT_NULL'] } },
  // --phases 3: the previous release still reads "quantity", which this release leaves NULL.
  'rename-column/copy-3': { 'shop.0005_order_qty_switch': { squawk: ['ban-drop-not-null'], migrationLinter: [] } },
  // The same, in the background form: the switch comes a release later, after the copy's own release.
  'rename-column/copy-3-background': { 'shop.0006_order_qty_switch': { squawk: ['ban-drop-not-null'], migrationLinter: [] } },
};

/** For a failure: where a migration's ignores come from. */
const ON_PURPOSE_HINT =
  'A plan step that does this on purpose, safely in its release, says so in its `onPurpose` (the linted step and why it is safe: src/operations/shared/linters.ts maps it to the linters\' rules); a risk the plan stamps goes into STAMPED_RISKS here.';

const EXAMPLES = ['shop', 'zoo', 'legacy'];
/** Plans linted at a time, each in its own Python process. */
const LANES = 4;

interface GoldenPlan {
  /** `rename-column/trigger`. */
  id: string;
  dir: string;
  /** `release-1`, `release-2`, ... in order. */
  releases: string[];
  example: string;
  database: string;
}

function goldenPlans(): GoldenPlan[] {
  const root = path.join(repoRoot(), 'test', 'golden');
  const dirs = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return dirs(root).flatMap((op) =>
    dirs(path.join(root, op)).map((scenario): GoldenPlan => {
      const dir = path.join(root, op, scenario);
      const releases = dirs(dir)
        .filter((name) => /^release-[0-9]+$/.test(name))
        .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
      const first = path.join(dir, releases[0]!);
      const [change] = dirs(path.join(first, '.bg-scaffold'));
      const record = JSON.parse(readFileSync(path.join(first, '.bg-scaffold', change!, 'plan.json'), 'utf8')) as { plan: { database: string } };
      const apps = dirs(first).filter((name) => name !== '.bg-scaffold');
      const example = EXAMPLES.find((name) => apps.every((app) => existsSync(path.join(repoRoot(), 'examples', name, app))));
      if (!example) throw new Error(`${dir}: no example project has the folders ${apps.join(', ')}`);
      return { id: `${op}/${scenario}`, dir, releases, example, database: record.plan.database };
    }),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/**
 * The example project with every release's migrations laid over it (a runtime copy, kept in the
 * golden tree as its sha256, is the shipped file), and settings that add django_migration_linter.
 * Returns the plan's migration files, relative to the project.
 */
async function layOut(plan: GoldenPlan, project: string): Promise<string[]> {
  await copyProject(path.join(repoRoot(), 'examples', plan.example), project);
  const migrations = new Set<string>();
  for (const release of plan.releases) {
    const dir = path.join(plan.dir, release);
    for (const file of filesUnder(dir)) {
      if (file.startsWith('.bg-scaffold') || !file.split(path.sep).includes('migrations')) continue;
      if (file.endsWith('.py.sha256')) {
        const runtime = path.basename(file, '.sha256');
        await fs.copyFile(path.join(repoRoot(), 'python', 'runtime', runtime), path.join(project, path.dirname(file), runtime));
        continue;
      }
      await fs.mkdir(path.join(project, path.dirname(file)), { recursive: true });
      await fs.copyFile(path.join(dir, file), path.join(project, file));
      if (file.endsWith('.py') && !path.basename(file).startsWith('_')) migrations.add(file);
    }
  }
  await fs.writeFile(
    path.join(project, 'config', 'lint_settings.py'),
    'from config.settings import *  # noqa: F403\n\nINSTALLED_APPS = [*INSTALLED_APPS, "django_migration_linter"]  # noqa: F405\n',
  );
  return [...migrations].sort();
}

interface LintedMigration {
  app: string;
  name: string;
  /** `<app>.<name>.sql`, in `shown/` and `bare/`. */
  file: string;
  /** squawk rules the migration's SquawkIgnore and the runtime's `-- squawk-ignore` lines name. */
  squawkDeclared: string[];
  /** django-migration-linter checks its MigrationLinterIgnore names. */
  migrationLinterDeclared: string[];
  /** The checks django-migration-linter makes without that ignore. */
  migrationLinterFlagged: string[];
}

interface LintedPlan {
  migrations: LintedMigration[];
  lintmigrations: { code: number; output: string };
  /** Where the SQL files are. */
  out: string;
}

interface SquawkViolation {
  file: string;
  line: number;
  rule_name: string;
  message: string;
}

/** squawk over files; its findings by file (the path as given). */
async function squawk(binary: string, files: string[], cwd: string): Promise<Map<string, SquawkViolation[]>> {
  const result = await runCommand(binary, ['--reporter', 'json', '--exclude', FIELD_TYPE_RULES.join(','), ...files], { cwd });
  if (result.code !== 0 && result.code !== 1) throw new Error(`squawk exited ${result.code}: ${result.stderr}${result.stdout}`);
  const found = new Map<string, SquawkViolation[]>(files.map((file) => [file, []]));
  for (const violation of JSON.parse(result.stdout) as SquawkViolation[]) found.get(violation.file)!.push(violation);
  return found;
}

const rules = (violations: SquawkViolation[]) => [...new Set(violations.map((violation) => violation.rule_name))].sort();
const described = (violations: SquawkViolation[]) => violations.map((v) => `line ${v.line}: ${v.rule_name}: ${v.message}`).join('\n');

const stack = requireRealStack({ django: ['5.2'] });
const plans = goldenPlans().filter((plan) => plan.database === 'postgresql');

describe.skipIf(stack === 'skip')('the migration linters teams run, on every golden PostgreSQL plan', () => {
  let env: DjangoEnv;
  let pg: PgServer;
  let work: string;
  let db: string;
  const linted = new Map<string, LintedPlan>();
  /** squawk's findings on what sqlmigrate prints, and on it without the ignores, by `<plan>/<file>`. */
  let shown: Map<string, SquawkViolation[]>;
  let bare: Map<string, SquawkViolation[]>;

  beforeAll(async () => {
    [env, pg] = await Promise.all([ensureDjangoEnv('5.2'), sharedPostgres()]);
    const squawkPath = await squawkBinary();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-linters-'));
    // sqlmigrate and lintmigrations read the migration graph and the database's django_migrations
    // (none here): one empty database serves every plan.
    db = uniqueDatabaseName('linters');
    await pg.createDatabase(db);
    const queue = [...plans];
    const lane = async () => {
      for (let plan = queue.shift(); plan; plan = queue.shift()) {
        const project = path.join(work, plan.id.replace('/', '--'));
        const out = `${project}-sql`;
        const migrations = await layOut(plan, project);
        const result = await runCommand(env.python, [path.join(repoRoot(), 'test', 'real', 'linted_migrations.py'), out, ...migrations], {
          cwd: project,
          env: { ...process.env, DJANGO_SETTINGS_MODULE: 'config.lint_settings', DATABASE_URL: pg.url(db), PYTHONDONTWRITEBYTECODE: '1' },
          timeoutMs: REAL_STACK_TIMEOUT_MS,
        });
        if (result.code !== 0) throw new Error(`${plan.id}: linted_migrations.py exited ${result.code}:\n${result.stderr}`);
        linted.set(plan.id, { ...(JSON.parse(result.stdout) as Omit<LintedPlan, 'out'>), out });
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    const files = (kind: 'shown' | 'bare') => [...linted.values()].flatMap((plan) => plan.migrations.map((m) => path.join(path.basename(plan.out), kind, m.file)));
    [shown, bare] = await Promise.all([squawk(squawkPath, files('shown'), work), squawk(squawkPath, files('bare'), work)]);
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    if (db) await pg.dropDatabase(db);
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const findings = (from: Map<string, SquawkViolation[]>, plan: LintedPlan, kind: 'shown' | 'bare', migration: LintedMigration) =>
    from.get(path.join(path.basename(plan.out), kind, migration.file))!;

  it('covers every golden plan on PostgreSQL, each with migrations', () => {
    expect(plans.length).toBeGreaterThan(30);
    for (const plan of plans) expect(linted.get(plan.id)?.migrations.length, plan.id).toBeGreaterThan(0);
  });

  it('what sqlmigrate prints for every migration parses as SQL: squawk finds no syntax error', () => {
    for (const plan of linted.values()) {
      for (const migration of plan.migrations) {
        const syntax = findings(shown, plan, 'shown', migration).filter((violation) => violation.rule_name === 'syntax-error');
        expect(described(syntax), `${migration.file}:\n${readFileSync(path.join(plan.out, 'shown', migration.file), 'utf8')}`).toBe('');
      }
    }
  });

  for (const plan of plans) {
    it(`${plan.id}: passes lintmigrations and squawk, but for a stamped risk; every ignore is needed`, () => {
      const result = linted.get(plan.id)!;
      const risks = STAMPED_RISKS[plan.id] ?? {};
      const statuses: Record<string, string> = {};
      for (const migration of result.migrations) {
        const key = `${migration.app}.${migration.name}`;
        const risk = risks[key] ?? { squawk: [], migrationLinter: [] };
        const sql = readFileSync(path.join(result.out, 'shown', migration.file), 'utf8');
        const passed = findings(shown, result, 'shown', migration);
        expect(rules(passed), `squawk on sqlmigrate ${key}:\n${described(passed)}\n${ON_PURPOSE_HINT}\n\n${sql}`).toEqual(risk.squawk);
        // Without its ignores, squawk flags exactly what they name, and the stamped risk.
        const unignored = findings(bare, result, 'bare', migration);
        expect(rules(unignored), `squawk on sqlmigrate ${key} without its ignores`).toEqual([...new Set([...migration.squawkDeclared, ...risk.squawk])].sort());
        expect(migration.migrationLinterFlagged, `django-migration-linter on ${key} without its ignore`).toEqual(
          [...new Set([...migration.migrationLinterDeclared, ...risk.migrationLinter])].sort(),
        );
        statuses[migration.name] = risk.migrationLinter.length > 0 ? 'ERR' : migration.migrationLinterDeclared.length > 0 ? 'IGNORE' : 'OK';
      }
      // The example's own migrations are left out (IGNORE): only the plan's are linted.
      const reported = Object.fromEntries(
        [...result.lintmigrations.output.matchAll(/^\((\w+), (\w+)\)\.\.\. (\w+)/gm)].filter((line) => line[2]! in statuses).map((line) => [line[2], line[3]]),
      );
      expect(reported, `${result.lintmigrations.output}\n${ON_PURPOSE_HINT}`).toEqual(statuses);
      expect(result.lintmigrations.code, result.lintmigrations.output).toBe(Object.values(statuses).includes('ERR') ? 1 : 0);
    });
  }
});
