/**
 * `check` and `status` on the example project, with changes generated through the command layer
 * (stageRenameColumn / stageAdvance + commit), as a user would have them.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProject, type CheckReport } from '../../../src/check/check.js';
import { projectStatus } from '../../../src/check/status.js';
import { stageAdvance } from '../../../src/commands/advance.js';
import { stageRenameColumn } from '../../../src/operations/rename-column/operation.js';
import type { RenameColumnRequest } from '../../../src/commands/types.js';
import { planJsonPath } from '../../../src/record/change-record.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'shop');
const CHANGE = 'order-quantity-to-qty';
const DAY = 86_400_000;
/** 2026-09-21T...: when the changes below are applied (SOURCE_DATE_EPOCH). */
const APPLIED_EPOCH = 1_790_000_000;
const APPLIED = new Date(APPLIED_EPOCH * 1000);

let work: string;
let counter = 0;
const savedEpoch = process.env.SOURCE_DATE_EPOCH;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bg-check-'));
  process.env.SOURCE_DATE_EPOCH = String(APPLIED_EPOCH);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
});

type Request = Omit<RenameColumnRequest, 'projectDir'>;
const TRIGGER: Request = { app: 'shop', model: 'Order', field: 'quantity', to: 'qty' };
const COPY: Request = { ...TRIGGER, strategy: 'copy' };
const DB_COLUMN: Request = { ...TRIGGER, strategy: 'db-column' };

/** A copy of the example project with `request` generated and advanced to phase `applied`. */
async function project(request: Request | null, applied = 1, prepare?: (dir: string) => void): Promise<string> {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  prepare?.(dir);
  if (request) {
    await (await stageRenameColumn({ ...request, projectDir: dir })).stage.commit();
    for (let phase = 2; phase <= applied; phase++) await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
  }
  return dir;
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const write = (dir: string, path: string, text: string) => writeFileSync(join(dir, path), text);
/** 1-based line of the first line of `path` containing `text`. */
const lineOf = (dir: string, path: string, text: string) => read(dir, path).split('\n').findIndex((line) => line.includes(text)) + 1;

/** Renames the example's uses of `quantity` to `qty`, except in `keep` (path → line substrings left alone). */
function renameUses(dir: string, keep: Record<string, string> = {}): void {
  const files = ['shop/admin.py', 'shop/services.py', 'shop/views.py', 'shop/templates/shop/order_detail.html'];
  for (const file of files) {
    const lines = read(dir, file).split('\n');
    write(dir, file, lines.map((line) => (keep[file] && line.includes(keep[file]!) ? line : line.replace(/(?<![-\w])quantity(?=__|[^\w-]|$)/g, 'qty'))).join('\n'));
  }
  write(dir, 'shop/models.py', read(dir, 'shop/models.py').replace('self.product.price * self.quantity', 'self.product.price * self.qty'));
}

/** Look-alikes, prose and comments: none of it refers to Order.quantity. */
const LOOK_ALIKES = `"""Stock levels: the quantity on hand, per product."""
import logging

from django.db.models import F

logger = logging.getLogger(__name__)


def allocate(line, amount):
    # quantity_allocated never exceeds the quantity on hand
    line.quantity_allocated = F("quantity_allocated") + amount
    line.save(update_fields=["quantity_allocated"])
    logger.info("quantity allocated for %s", line.pk)
    return line.myquantity + line.quantity_total


def place(product, quantity):
    return {"quantity": quantity, "left": product.stock - quantity}
`;

function check(dir: string, options: Partial<Parameters<typeof checkProject>[1]> = {}): Promise<CheckReport> {
  return checkProject(dir, { maxAge: null, now: APPLIED, ...options });
}

/** Findings of a report as `rule file:line message-start`. */
function findings(report: CheckReport, rule?: string): string[] {
  return report.changes
    .flatMap((change) => change.findings)
    .filter((f) => !rule || f.rule === rule)
    .map((f) => `${f.rule} ${f.file ?? '-'}:${f.line ?? '-'}${f.column ? `:${f.column}` : ''}`);
}

function git(dir: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', ['-c', 'user.email=dev@example.invalid', '-c', 'user.name=dev', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('check, rule 1: code still refers to a name an applied phase took away', () => {
  it('finds every use of Order.quantity in the example after phase 1 of a trigger rename, and no look-alike', async () => {
    const dir = await project(TRIGGER, 1, (d) => write(d, 'shop/stock.py', LOOK_ALIKES));
    const report = await check(dir);
    expect(report.ok).toBe(false);
    const refs = report.changes[0]!.findings.filter((f) => f.rule === 'reference');
    expect(refs.map((f) => `${f.file}:${f.line} ${f.message.match(/\[(.+)\]$/)![1]}`)).toEqual([
      'shop/admin.py:26 field-list',
      'shop/admin.py:30 field-list',
      'shop/models.py:56 attribute',
      'shop/services.py:17 lookup',
      'shop/services.py:22 lookup, orm-string',
      'shop/services.py:23 field-list',
      'shop/services.py:27 lookup',
      'shop/services.py:32 orm-string',
      'shop/services.py:38 orm-string',
      'shop/services.py:44 orm-string',
      'shop/templates/shop/order_detail.html:12 template',
      'shop/templates/shop/order_detail.html:18 template',
      'shop/views.py:12 attribute',
    ]);
    expect(refs[0]!.message).toBe('refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [field-list]');
    // Order is the only model with a quantity, and the code says so everywhere: all certain.
    expect(refs.filter((f) => f.certainty !== 'certain')).toEqual([]);
    expect(refs.find((f) => f.file === 'shop/views.py')!.text).toBe('"needs_review": order.quantity >= BULK_ORDER_QUANTITY,');
    // Nothing else is wrong with a freshly generated change.
    expect(findings(report).filter((f) => !f.startsWith('reference'))).toEqual([]);
  });

  it('reports the one reference deliberately left behind, and passes once it is fixed', async () => {
    const dir = await project(TRIGGER, 1, (d) => write(d, 'shop/stock.py', LOOK_ALIKES));
    renameUses(dir, { 'shop/views.py': 'needs_review' });
    expect(findings(await check(dir))).toEqual(['reference shop/views.py:12:31']);
    renameUses(dir);
    const report = await check(dir);
    expect(report).toMatchObject({ ok: true, findingCount: 0 });
  });

  it('db-column: the old attribute name is gone after its only phase (the column keeps it: db_column= is not a reference)', async () => {
    const dir = await project(DB_COLUMN);
    renameUses(dir, { 'shop/services.py': 'quantity__gte' });
    expect(read(dir, 'shop/models.py')).toContain('db_column="quantity"');
    expect(findings(await check(dir))).toEqual(['reference shop/services.py:27:50']);
  });

  it('copy: references are fine while the old field is still in the model, and found once it leaves the state (phase 3)', async () => {
    const dir = await project(COPY, 2);
    expect((await check(dir)).ok).toBe(true);
    await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
    const report = await check(dir);
    expect(findings(report, 'reference')).toHaveLength(13);
    expect(report.changes[0]!.findings[0]!.message).toContain('in phase 3/4 (applied)');
  });

  it('a completed change passes once its references are gone: copy strategy, all four phases', async () => {
    const dir = await project(COPY, 4);
    renameUses(dir);
    expect(findings(await check(dir))).toEqual([]);
  });

  it('never reports migrations or the change record, which name the old field on purpose', async () => {
    const dir = await project(TRIGGER, 2);
    renameUses(dir);
    expect(read(dir, 'shop/migrations/0004_order_qty_expand.py')).toContain('quantity');
    expect((await check(dir)).ok).toBe(true);
  });
});

describe('check, rule 2: two phases of one change added since --since', () => {
  it('fails when phases 1 and 2 both landed after the last release tag, passes when only one did', async () => {
    const dir = await project(null);
    git(dir, ['init', '-q']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'v1']);
    git(dir, ['tag', 'v1']);
    await (await stageRenameColumn({ ...TRIGGER, projectDir: dir })).stage.commit();
    renameUses(dir);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'phase 1']);
    expect(findings(await check(dir, { since: 'v1' }))).toEqual([]);

    await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
    const both = await check(dir, { since: 'v1' });
    const constant = lineOf(dir, 'shop/migrations/0005_order_qty_contract.py', 'BG_SCAFFOLD = {');
    expect(findings(both)).toEqual([`same-release shop/migrations/0005_order_qty_contract.py:${constant}`]);
    expect(both.changes[0]!.findings[0]!.message).toBe(
      'phase 2/2 was added since v1, and so was phase 1/2: they would ship in one release. Ship phase 1, roll it out fully, then phase 2 in the next release',
    );

    // Phase 1 released (tagged): phase 2 alone is fine, committed or not.
    git(dir, ['tag', 'v2', 'HEAD']);
    expect(findings(await check(dir, { since: 'v2' }))).toEqual([]);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'phase 2']);
    expect(findings(await check(dir, { since: 'v2' }))).toEqual([]);
  });

  it('refuses a revision that does not exist, and --since outside git, as bad input', async () => {
    const dir = await project(TRIGGER);
    await expect(check(dir, { since: 'v9' })).rejects.toThrow(/--since needs a git repository/);
    git(dir, ['init', '-q']);
    await expect(check(dir, { since: 'v9' })).rejects.toThrow(/--since "v9" is not a commit in this repository/);
  });
});

describe('check, rule 3: the change record and the files disagree', () => {
  it('a dual-write block of phase 1 left behind while the record says phase 3 is applied', async () => {
    const dir = await project(COPY, 1);
    const phase1Models = read(dir, 'shop/models.py');
    await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
    await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
    renameUses(dir);
    expect((await check(dir)).ok).toBe(true);
    // Put the phase-1 save() block back, as a bad merge would.
    const block = phase1Models.slice(phase1Models.indexOf('# >>> bg-scaffold order-quantity-to-qty 1/4 dual-write\n'), phase1Models.indexOf('# <<< bg-scaffold order-quantity-to-qty 1/4\n', phase1Models.indexOf('1/4 dual-write\n')));
    const models = read(dir, 'shop/models.py');
    const lines = models.split('\n');
    const saveLine = lines.findIndex((line) => line.includes('def save(self'));
    lines.splice(saveLine + 1, 0, `        ${block.trim()}\n        # <<< bg-scaffold order-quantity-to-qty 1/4`);
    write(dir, 'shop/models.py', lines.join('\n'));
    const report = await check(dir);
    const mismatch = report.changes[0]!.findings.filter((f) => f.rule === 'record-mismatch');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({ file: 'shop/models.py', line: saveLine + 2 });
    expect(mismatch[0]!.message).toMatch(/^"dual-write" block of phase 1\/4 \(lines \d+-\d+\) is left behind: phase 3 is applied/);
    // The block's own use of `quantity` is generated code: rule 3 reports it, rule 1 does not.
    expect(findings(report, 'reference')).toEqual([]);
  });

  it('a code block the current phase needs is missing', async () => {
    const dir = await project(COPY, 1);
    const models = read(dir, 'shop/models.py');
    const start = models.indexOf('        # >>> bg-scaffold order-quantity-to-qty 1/4 dual-write\n');
    const endMarker = '        # <<< bg-scaffold order-quantity-to-qty 1/4\n';
    const end = models.indexOf(endMarker, start) + endMarker.length;
    write(dir, 'shop/models.py', models.slice(0, start) + models.slice(end));
    const report = await check(dir);
    expect(report.changes[0]!.findings.map((f) => f.message)).toEqual([
      `the "dual-write" block of phase 1/4 (model Order) is missing: phase 1 needs it while it serves; restore it from .bg-scaffold/${CHANGE}/phase-1/ or version control`,
    ]);
  });

  it('a phase migration edited by hand, at the first line that differs; reformatting is not an edit', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    const path = 'shop/migrations/0004_order_qty_expand.py';
    const original = read(dir, path);
    write(dir, path, original.replace(/\n/g, '\n\n').replace(/    /g, '  '));
    expect((await check(dir)).ok).toBe(true);
    const lines = original.split('\n');
    const at = lines.findIndex((line) => line.includes('ADD COLUMN'));
    lines[at] = lines[at]!.replace('integer NULL', 'bigint NULL');
    write(dir, path, lines.join('\n'));
    const report = await check(dir);
    expect(findings(report)).toEqual([`record-mismatch ${path}:${at + 1}`]);
    expect(report.changes[0]!.findings[0]!.message).toMatch(/^the migration of phase 1\/2 was edited by hand/);
  });

  it('a phase migration missing, or renumbered without updating the record', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    const path = 'shop/migrations/0004_order_qty_expand.py';
    copyFileSync(join(dir, path), join(dir, 'shop/migrations/0005_order_qty_expand.py'));
    unlinkSync(join(dir, path));
    const constant = lineOf(dir, 'shop/migrations/0005_order_qty_expand.py', 'BG_SCAFFOLD = {');
    expect(findings(await check(dir))).toEqual([`record-mismatch shop/migrations/0005_order_qty_expand.py:${constant}`]);
    unlinkSync(join(dir, 'shop/migrations/0005_order_qty_expand.py'));
    const report = await check(dir);
    expect(findings(report)).toEqual([`record-mismatch ${path}:-`]);
    expect(report.changes[0]!.findings[0]!.message).toMatch(/^the migration of phase 1\/2 is missing/);
  });

  it('a second copy of a phase migration', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    copyFileSync(join(dir, 'shop/migrations/0004_order_qty_expand.py'), join(dir, 'shop/migrations/0005_order_qty_expand_copy.py'));
    const report = await check(dir);
    expect(report.changes[0]!.findings.map((f) => `${f.file}: ${f.message}`)).toEqual([
      'shop/migrations/0005_order_qty_expand_copy.py: a second migration claims phase 1/2 (the record\'s is shop/migrations/0004_order_qty_expand.py); remove the copy',
    ]);
  });

  it('a phase applied by hand: its migration is here, but the record does not list it', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    cpSync(join(dir, '.bg-scaffold', CHANGE, 'phase-2', '0005_order_qty_contract.py'), join(dir, 'shop/migrations/0005_order_qty_contract.py'));
    const report = await check(dir);
    const constant = lineOf(dir, 'shop/migrations/0005_order_qty_contract.py', 'BG_SCAFFOLD = {');
    expect(findings(report)).toEqual([`record-mismatch shop/migrations/0005_order_qty_contract.py:${constant}`]);
    expect(report.changes[0]!.findings[0]!.message).toMatch(/^migration of phase 2\/2 is here, but the record says 1 of 2 applied/);
  });

  it('models.py still defines the field the record says is gone', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    write(dir, 'shop/models.py', read(dir, 'shop/models.py').replace('    reference = models', '    quantity = models.IntegerField()\n    reference = models'));
    const report = await check(dir);
    expect(report.changes[0]!.findings.map((f) => f.message)).toEqual([
      'Order.quantity is still defined, but the record says phase 1 (renamed to `qty`) is applied',
    ]);
  });

  it('a marker naming a change that has no record', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    appendFileSync(join(dir, 'shop/services.py'), '\n\ndef stray():  # bg-scaffold: order-note-to-memo 1/2 renamed from note\n    pass\n');
    const report = await check(dir);
    const stray = report.changes.find((change) => change.change === 'order-note-to-memo')!;
    expect(stray.findings.map((f) => [f.rule, f.file, f.message.slice(0, 60)])).toEqual([
      ['record-mismatch', 'shop/services.py', 'marker names change "order-note-to-memo", which has no recor'],
    ]);
  });

  it('leftover trailing markers once a change whose last phase strips them is complete', async () => {
    const dir = await project(TRIGGER, 2);
    renameUses(dir);
    expect((await check(dir)).ok).toBe(true);
    write(dir, 'shop/models.py', read(dir, 'shop/models.py').replace('qty = models.IntegerField()', 'qty = models.IntegerField()  # bg-scaffold: order-quantity-to-qty 1/2 renamed from quantity'));
    expect(findings(await check(dir))).toEqual([`record-mismatch shop/models.py:${lineOf(dir, 'shop/models.py', 'qty = models.IntegerField()')}`]);
  });
});

describe('check, rule 4: a change waited past --max-age in a phase with work pending', () => {
  const maxAge = (days: number) => ({ ms: days * DAY, label: `${days}d` });

  it('counts from the record outside git', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    const later = new Date(APPLIED.getTime() + 45 * DAY);
    expect(findings(await check(dir, { maxAge: maxAge(60), now: later }))).toEqual([]);
    const report = await check(dir, { maxAge: maxAge(30), now: later });
    const constant = lineOf(dir, 'shop/migrations/0004_order_qty_expand.py', 'BG_SCAFFOLD = {');
    expect(findings(report)).toEqual([`overdue shop/migrations/0004_order_qty_expand.py:${constant}`]);
    expect(report.changes[0]!.findings[0]!.message).toBe(
      `phase 1/2 has waited 45 days (applied ${APPLIED.toISOString().slice(0, 10)} by the record), past --max-age 30d; next: phase 2, "Drop the trigger and the old column \\"quantity\\"" (bg-scaffold advance ${CHANGE})`.replace(/\\"/g, '"'),
    );
  });

  it('counts from the commit of the phase\'s migration in git, and never flags a complete change', async () => {
    const dir = await project(TRIGGER);
    renameUses(dir);
    git(dir, ['init', '-q']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'phase 1'], { GIT_COMMITTER_DATE: '2026-10-01T12:00:00Z', GIT_AUTHOR_DATE: '2026-10-01T12:00:00Z' });
    const now = new Date('2026-11-15T12:00:00Z');
    const report = await check(dir, { maxAge: maxAge(30), now });
    expect(report.changes[0]!.findings[0]!.message).toMatch(/^phase 1\/2 has waited 45 days \(committed 2026-10-01\)/);

    await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
    expect(findings(await check(dir, { maxAge: maxAge(30), now: new Date('2030-01-01') }))).toEqual([]);
  });
});

describe('status', () => {
  it('lists a change in flight: phase, next phase, and wait from the record', async () => {
    const dir = await project(COPY, 2);
    const { changes } = await projectStatus(dir, { now: new Date(APPLIED.getTime() + 3 * DAY) });
    expect(changes).toEqual([
      {
        change: CHANGE,
        op: 'rename-column',
        strategy: 'copy',
        app: 'shop',
        model: 'Order',
        phase: 2,
        phases: 4,
        complete: false,
        recorded: true,
        next: { phase: 3, title: 'Retire quantity: it leaves the model and becomes nullable', command: `bg-scaffold advance ${CHANGE}` },
        waitingSince: APPLIED.toISOString(),
        waitedDays: 3,
        dateSource: 'record',
      },
    ]);
  });

  it('takes the wait from git when the migration is committed, and lists changes known only from markers', async () => {
    const dir = await project(TRIGGER);
    git(dir, ['init', '-q']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'phase 1'], { GIT_COMMITTER_DATE: '2026-10-01T12:00:00+02:00' });
    rmSync(join(dir, planJsonPath(CHANGE)));
    let report = await projectStatus(dir, { now: new Date('2026-10-11T12:00:00Z') });
    expect(report.changes[0]).toMatchObject({ change: CHANGE, op: 'rename-column', phase: 1, phases: 2, recorded: false, next: null, dateSource: 'git', waitedDays: 10 });

    git(dir, ['checkout', '-q', '--', planJsonPath(CHANGE)]);
    report = await projectStatus(dir, { now: new Date('2026-10-11T12:00:00Z') });
    expect(report.changes[0]).toMatchObject({ recorded: true, waitingSince: '2026-10-01T12:00:00+02:00', dateSource: 'git', waitedDays: 10 });
  });

  it('says a complete change is complete, and finds nothing in a project without changes', async () => {
    const done = await projectStatus(await project(DB_COLUMN), { now: APPLIED });
    expect(done.changes[0]).toMatchObject({ phase: 1, phases: 1, complete: true, next: null });
    expect((await projectStatus(await project(null), { now: APPLIED })).changes).toEqual([]);
  });
});
