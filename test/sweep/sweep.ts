/**
 * The field sweep (issue 13): every concrete field of every model of the example projects, times
 * every operation and strategy that applies to it. A cell generates its change with the CLI (through
 * Django 5.2's introspection), then advances through every phase; after each phase `manage.py check
 * --tag models` and `makemigrations --check --dry-run` must be clean on both Django lines. A cell
 * ends `ok`, `refused` (exit 2 with one line: the reason is the result) or `failed` (anything else:
 * a crash, a second line, a dirty check). No database runs: the blue-green matrix does that.
 *
 * What the developer does in a release (take the old name out of the admin, say) is not done here:
 * `--tag models` leaves the admin's checks out, and the tool's own warnings name those places.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMain } from '../cli/in-process.js';
import { discoverProject } from '../../src/project/discover.js';
import { discardIntrospectionCache } from '../../src/project/introspect.js';
import { copyProject } from '../harness/django-project.js';
import type { DjangoEnv } from '../harness/python-env.js';
import { repoRoot } from '../harness/repo.js';

export interface SweepCell {
  example: string;
  app: string;
  model: string;
  /** Null for an operation on the model (add-column, drop-table). */
  field: string | null;
  /** `rename-column trigger`, `add-column nullable`, … */
  operation: string;
  args: string[];
  /**
   * The developer's part of release 1 of a rename-model: the code moves from the old class name to
   * the new one (release 2 takes the alias out, and the admin, the services and the package's
   * imports name the class).
   */
  renamesClass?: { from: string; to: string };
}

export type CellOutcome = 'ok' | 'refused' | 'failed';

export interface SweepResult extends SweepCell {
  outcome: CellOutcome;
  /** The refusal's line, or what failed (phase, Django line, output). */
  reason: string;
  phases: number;
}

const CHECKER = path.join(repoRoot(), 'test', 'sweep', 'checker.py');

/** One checker.py per Django line: each request is answered by a forked child. */
class Checker {
  private child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: Array<(line: string) => void> = [];

  constructor(readonly env: DjangoEnv) {
    this.child = spawn(env.python, ['-B', CHECKER], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.child.stderr.resume();
  }

  /** Requests are answered in order, one at a time. */
  verdict(tree: string, settings: string): Promise<{ ok: boolean; check?: string; makemigrations?: string; error?: string }> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line)));
      this.child.stdin.write(`${JSON.stringify({ tree, settings })}\n`);
    });
  }

  stop(): void {
    this.child.stdin.end();
  }
}

/** The cells of one example project, from Django's own report of it. */
export async function sweepCells(example: string, python: string): Promise<SweepCell[]> {
  const dir = path.join(repoRoot(), 'examples', example);
  const facts = await discoverProject(dir, { python });
  discardIntrospectionCache(); // the example's tree stays as it is: no cache written into it
  const cells: SweepCell[] = [];
  for (const app of facts.apps) {
    for (const model of app.models) {
      if (model.abstract || model.django?.proxy) continue;
      const on = { example, app: app.label, model: model.name };
      const base = ['--app', app.label, '--model', model.name];
      const pg = ['--database', 'postgresql'];
      const sqlite = ['--database', 'sqlite'];
      for (const field of model.fields) {
        const fieldArgs = [...base, '--field', field.name];
        const to = ['--to', `${field.name}_v2`];
        for (const strategy of ['db-column', 'trigger', 'copy']) {
          cells.push({ ...on, field: field.name, operation: `rename-column ${strategy}`, args: ['rename-column', ...fieldArgs, ...to, '--strategy', strategy, ...pg] });
        }
        // SQLite's plans (and MySQL's) differ: portable operations, the ORM backfill.
        cells.push({ ...on, field: field.name, operation: 'rename-column copy (sqlite)', args: ['rename-column', ...fieldArgs, ...to, '--strategy', 'copy', ...sqlite] });
        cells.push({ ...on, field: field.name, operation: 'remove-column', args: ['remove-column', ...fieldArgs, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'remove-column (sqlite)', args: ['remove-column', ...fieldArgs, ...sqlite] });
        const retype = newTypeFor(field.fieldClass, field.primaryKey);
        cells.push({ ...on, field: field.name, operation: 'change-column-type', args: ['change-column-type', ...fieldArgs, ...retype, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'change-column-type (sqlite)', args: ['change-column-type', ...fieldArgs, ...retype, ...sqlite] });
        const fill = fillFor(field.fieldClass);
        cells.push({ ...on, field: field.name, operation: 'set-not-null', args: ['set-not-null', ...fieldArgs, ...fill, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'set-not-null (sqlite)', args: ['set-not-null', ...fieldArgs, ...fill, ...sqlite] });
        cells.push({ ...on, field: field.name, operation: 'drop-not-null', args: ['drop-not-null', ...fieldArgs, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'add-index', args: ['add-index', ...fieldArgs, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'remove-index', args: ['remove-index', ...fieldArgs, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'add-unique', args: ['add-unique', ...fieldArgs, ...pg] });
        cells.push({ ...on, field: field.name, operation: 'add-unique (sqlite)', args: ['add-unique', ...fieldArgs, ...sqlite] });
        // An integer column that holds keys: pointed at the app's first model (most fields are refused).
        const target = app.models.find((m) => !m.abstract && m !== model) ?? model;
        cells.push({ ...on, field: field.name, operation: 'add-foreign-key', args: ['add-foreign-key', ...fieldArgs, '--to', `${app.label}.${target.name}`, '--on-delete', 'PROTECT', ...pg] });
      }
      // A Meta index and a UniqueConstraint on the model's first two columns, and a check on its key.
      const columns = model.fields.filter((f) => !f.primaryKey && f.column !== '' && !f.inheritedFrom).slice(0, 2).map((f) => f.name);
      if (columns.length > 0) {
        cells.push({ ...on, field: null, operation: 'add-index meta', args: ['add-index', ...base, '--fields', columns.join(','), ...pg] });
        cells.push({ ...on, field: null, operation: 'add-unique meta', args: ['add-unique', ...base, '--fields', columns.join(','), ...pg] });
      }
      cells.push({ ...on, field: null, operation: 'add-check', args: ['add-check', ...base, '--condition', 'Q(pk__isnull=False)', ...pg] });
      for (const index of model.django?.meta.indexes ?? []) {
        cells.push({ ...on, field: null, operation: 'remove-index meta', args: ['remove-index', ...base, '--name', index.name, ...pg] });
      }
      const auto = model.django?.autoPk;
      if (auto) {
        // The key Django adds: changed by declaring it.
        const retype = ['--type', auto.postgresType === 'bigint' ? 'AutoField' : 'BigAutoField'];
        cells.push({ ...on, field: auto.name, operation: 'change-column-type', args: ['change-column-type', ...base, '--field', auto.name, ...retype, ...pg] });
      }
      const note = ['--name', 'sweep_note', '--type', 'CharField', '--max-length', '20', '--null'];
      cells.push({ ...on, field: null, operation: 'add-column nullable', args: ['add-column', ...base, ...note, ...pg] });
      cells.push({ ...on, field: null, operation: 'add-column default', args: ['add-column', ...base, '--name', 'sweep_rank', '--type', 'IntegerField', '--default', '0', ...pg] });
      cells.push({ ...on, field: null, operation: 'add-column default (sqlite)', args: ['add-column', ...base, '--name', 'sweep_rank', '--type', 'IntegerField', '--default', '0', ...sqlite] });
      cells.push({ ...on, field: null, operation: 'drop-table', args: ['drop-table', ...base, ...pg] });
      const renamed = { from: model.name, to: `${model.name}Renamed` };
      for (const strategy of ['keep-table', 'move-table']) {
        cells.push({ ...on, field: null, operation: `rename-model ${strategy}`, args: ['rename-model', ...base, '--to', renamed.to, '--strategy', strategy, ...pg], renamesClass: renamed });
      }
    }
  }
  return cells;
}

/** A --fill for set-not-null that the field's column can hold, where one is easy to give. */
function fillFor(fieldClass: string): string[] {
  if (/IntegerField$/.test(fieldClass) || fieldClass === 'DecimalField' || fieldClass === 'FloatField') return ['--fill', '0'];
  if (/^(Char|Text|Slug|Email|URL)Field$/.test(fieldClass)) return ['--fill', 'x'];
  if (fieldClass === 'BooleanField') return ['--fill', 'false'];
  return [];
}

/** The type a sweep cell changes a field to: a wider one of its kind, or text. */
function newTypeFor(fieldClass: string, primaryKey: boolean): string[] {
  if (primaryKey) return ['--type', fieldClass === 'BigAutoField' ? 'AutoField' : 'BigAutoField'];
  if (/IntegerField$/.test(fieldClass)) return ['--type', fieldClass === 'BigIntegerField' ? 'IntegerField' : 'BigIntegerField'];
  if (fieldClass === 'CharField' || fieldClass === 'SlugField' || fieldClass === 'EmailField') return ['--type', 'TextField'];
  return ['--type', 'CharField', '--max-length', '300'];
}

const cli = (args: string[]) => runMain(args, { env: process.env });

/** The `bg-scaffold: …` lines of a refusal (notes and warnings are not part of it). */
function refusalLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('bg-scaffold: '));
}

async function runCell(cell: SweepCell, work: string, generator: DjangoEnv, checkers: Checker[]): Promise<SweepResult> {
  const tree = path.join(work, `${cell.example}-${cell.app}-${cell.model}-${cell.field ?? ''}-${cell.operation}`.replace(/[^\w.-]+/g, '_'));
  await copyProject(path.join(repoRoot(), 'examples', cell.example), tree);
  const common = ['--project', tree, '--python', generator.python, '--yes'];
  const failed = (phase: number, reason: string): SweepResult => ({ ...cell, outcome: 'failed', reason: `phase ${phase}: ${reason}`.slice(0, 400), phases: phase });
  try {
    const first = await cli([...cell.args, ...common, '--json']);
    if (first.code === 2) {
      const lines = refusalLines(first.stderr);
      if (lines.length !== 1) return failed(1, `refused with ${lines.length} lines: ${first.stderr.trim()}`);
      return { ...cell, outcome: 'refused', reason: lines[0]!.replace(/^bg-scaffold: /, ''), phases: 0 };
    }
    if (first.code !== 0) return failed(1, `exit ${first.code}: ${first.stderr.trim()}`);
    const change = (JSON.parse(first.stdout) as { change: string }).change;
    const record = JSON.parse(await fs.readFile(path.join(tree, '.bg-scaffold', change, 'plan.json'), 'utf8')) as { plan: { phases: unknown[] } };
    const phases = record.plan.phases.length;
    for (let phase = 1; phase <= phases; phase++) {
      if (phase > 1) {
        if (cell.renamesClass && phase === 2) await renameClassInCode(tree, cell.renamesClass);
        const next = await cli(['advance', change, ...common]);
        if (next.code !== 0) return failed(phase, `advance exit ${next.code}: ${next.stderr.trim()}`);
      }
      for (const checker of checkers) {
        const verdict = await checker.verdict(tree, 'config.settings');
        if (!verdict.ok) {
          const output = verdict.error ?? [verdict.check, verdict.makemigrations].filter(Boolean).join(' | ');
          return failed(phase, `Django ${checker.env.django}: ${output.replace(/\s*\n\s*/g, ' ')}`);
        }
      }
    }
    return { ...cell, outcome: 'ok', reason: '', phases };
  } finally {
    await fs.rm(tree, { recursive: true, force: true });
  }
}

/**
 * What a developer does in release 1 of rename-model: every use of the old class name in the
 * project's Python moves to the new one. Migrations keep their history; the lines bg-scaffold
 * marked (the class statement, the alias) are its own.
 */
async function renameClassInCode(tree: string, names: { from: string; to: string }): Promise<void> {
  const word = new RegExp(`\\b${names.from}\\b`, 'g');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'migrations' && !entry.name.startsWith('.')) await walk(full);
      } else if (entry.name.endsWith('.py')) {
        const source = await fs.readFile(full, 'utf8');
        const moved = source
          .split('\n')
          .map((line) => (line.includes('# bg-scaffold:') ? line : line.replace(word, names.to)))
          .join('\n');
        if (moved !== source) await fs.writeFile(full, moved);
      }
    }
  };
  await walk(tree);
}

/** Runs the cells `lanes` at a time, each lane with a checker per Django line. */
export async function runSweep(
  cells: SweepCell[],
  envs: DjangoEnv[],
  options: { lanes?: number; onResult?: (result: SweepResult) => void } = {},
): Promise<SweepResult[]> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-scaffold-sweep-'));
  const lanes = Array.from({ length: options.lanes ?? 2 }, () => envs.map((env) => new Checker(env)));
  const results: SweepResult[] = new Array(cells.length);
  let next = 0;
  try {
    await Promise.all(
      lanes.map(async (checkers) => {
        while (next < cells.length) {
          const index = next++;
          results[index] = await runCell(cells[index]!, work, envs[0]!, checkers);
          options.onResult?.(results[index]!);
        }
      }),
    );
  } finally {
    for (const checkers of lanes) for (const checker of checkers) checker.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
  return results;
}

/** The table the closing note gives: fields × operations, ok / refused (by reason) / failed. */
export function renderSweep(results: SweepResult[]): string {
  const operations = [...new Set(results.map((r) => r.operation))];
  const count = (outcome: CellOutcome, operation?: string) => results.filter((r) => r.outcome === outcome && (!operation || r.operation === operation)).length;
  const lines = [
    `# Field sweep`,
    '',
    `${results.length} cells: ${count('ok')} ok, ${count('refused')} refused, ${count('failed')} failed.`,
    '',
    '| operation | ok | refused | failed |',
    '| --- | --- | --- | --- |',
    ...operations.map((op) => `| ${op} | ${count('ok', op)} | ${count('refused', op)} | ${count('failed', op)} |`),
    '',
    '## Refusals by reason',
    '',
    '| cells | reason (first example) |',
    '| --- | --- |',
  ];
  const reasons = new Map<string, SweepResult[]>();
  for (const result of results.filter((r) => r.outcome === 'refused')) {
    // Group by the reason's wording, names taken out.
    const key = result.reason.replace(/\b[\w.]*[A-Z][\w.]*\b|"[^"]*"|`[^`]*`|\S*_\S*/g, '…').slice(0, 90);
    reasons.set(key, [...(reasons.get(key) ?? []), result]);
  }
  for (const [, group] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
    const first = group[0]!;
    lines.push(`| ${group.length} | ${first.reason.replace(/\|/g, '\\|')} |`);
  }
  lines.push('', '## Cells', '', '| example | model | field | operation | outcome | phases | reason |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    lines.push(`| ${r.example} | ${r.app}.${r.model} | ${r.field ?? ''} | ${r.operation} | ${r.outcome} | ${r.phases} | ${r.reason.replace(/\|/g, '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}
