/**
 * `bg-scaffold check` from the command line: findings grouped by change with file:line, JSON,
 * exit codes 0 / 1 / 2, and the progress line only for interactive runs.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressIndicator } from '../../src/cli/check.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import { runMain } from './in-process.js';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
let work: string;
/** The example after phase 1 of the trigger rename, every use renamed but one: views.py line 12. */
let leftOne: string;
let clean: string;

function renameUses(dir: string, keep: string | null): void {
  for (const file of ['shop/admin.py', 'shop/services.py', 'shop/views.py', 'shop/templates/shop/order_detail.html', 'shop/models.py']) {
    const text = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .map((line) => (keep && line.includes(keep)) || line.includes('bg-scaffold') ? line : line.replace(/(?<![-\w])quantity(?=__|[^\w-]|$)/g, 'qty'))
      .join('\n');
    writeFileSync(join(dir, file), text);
  }
}

async function renamedProject(name: string, keep: string | null): Promise<string> {
  const dir = join(work, name);
  cpSync(example, dir, { recursive: true });
  await (await stageRenameColumn({ projectDir: dir, app: 'shop', model: 'Order', field: 'quantity', to: 'qty' })).stage.commit();
  renameUses(dir, keep);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bg-cli-check-'));
  leftOne = await renamedProject('left-one', 'needs_review');
  clean = await renamedProject('clean', null);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bg-scaffold check', () => {
  it('exits 1 and prints each finding as file:line:column under its change, with the source line', async () => {
    const { code, stdout, stderr } = await runMain(['check', '--project', leftOne]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        'order-quantity-to-qty (rename-column, trigger), phase 1/2: 1 finding',
        '  shop/views.py:12:31: reference: refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [attribute]',
        '      "needs_review": order.quantity >= BULK_ORDER_QUANTITY,',
        '',
        'check failed: 1 finding in 1 change (1 change, 19 files scanned)',
        '',
      ].join('\n'),
    );
  });

  it('exits 0 on a clean project and says so', async () => {
    const { code, stdout } = await runMain(['check', '--project', clean]);
    expect(code).toBe(0);
    expect(stdout).toBe('check passed: no findings (1 change, 19 files scanned)\n');
  });

  it('prints JSON with --json, findings grouped by change', async () => {
    const { code, stdout } = await runMain(['check', '--project', leftOne, '--json', '--max-age', 'off']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: false, findingCount: 1, failingCount: 1, possibleCount: 0, strict: false, since: null, maxAge: null, filesScanned: 19 });
    expect(report.changes).toEqual([
      {
        change: 'order-quantity-to-qty',
        op: 'rename-column',
        strategy: 'trigger',
        phase: 1,
        phases: 2,
        findings: [
          {
            rule: 'reference',
            change: 'order-quantity-to-qty',
            file: 'shop/views.py',
            line: 12,
            column: 31,
            message: 'refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [attribute]',
            text: '"needs_review": order.quantity >= BULK_ORDER_QUANTITY,',
            certainty: 'certain',
            reason: 'quantity is a field or attribute of no other model',
          },
        ],
      },
    ]);
  });

  it('the built command exits 1 on findings, as CI sees it', async () => {
    const { code, stdout } = await runCli(['check'], { cwd: leftOne, env: { CI: 'true' } });
    expect(code).toBe(1);
    expect(stdout).toContain('shop/views.py:12:31: reference:');
  });

  it.each([
    [['--since', 'no-such-tag'], /^bg-scaffold: --since needs a git repository/],
    [['--max-age', 'a month'], /^bg-scaffold: option '--max-age <duration>' argument 'a month' is invalid/],
    [['--project', '/nonexistent/dir'], /^bg-scaffold: --project \/nonexistent\/dir: no such directory/],
  ])('exits 2 with one line for bad input: %s', async (args, message) => {
    const before = snapshotTree(clean);
    const { code, stdout, stderr } = await runMain(['check', '--project', clean, ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(snapshotTree(clean)).toEqual(before);
  });

  it('exits 2 outside a Django project', async () => {
    const { code, stderr } = await runMain(['check', '--project', work]);
    expect(code).toBe(2);
    expect(stderr).toBe(`bg-scaffold: no manage.py and no .bg-scaffold/ in ${work}; pass --project pointing at your Django project\n`);
  });
});

describe('the progress line', () => {
  const sink = () => {
    let text = '';
    return { write: (chunk: string) => (text += chunk), get text() { return text; } };
  };

  it('is drawn on stderr for a large tree in a terminal, and cleared at the end', () => {
    const stderr = sink();
    const progress = progressIndicator({ stdout: sink(), stderr, isTTY: true, env: {} }, 'check')!;
    progress(1, 5000);
    progress(5000, 5000);
    expect(stderr.text).toBe('\r\x1b[Kcheck: 1/5000 files\r\x1b[K');
  });

  it('stays silent in CI, without a terminal, and for small trees', () => {
    expect(progressIndicator({ stdout: sink(), stderr: sink(), isTTY: true, env: { CI: 'true' } }, 'check')).toBeUndefined();
    expect(progressIndicator({ stdout: sink(), stderr: sink(), isTTY: false, env: {} }, 'check')).toBeUndefined();
    const stderr = sink();
    const progress = progressIndicator({ stdout: sink(), stderr, isTTY: true, env: {} }, 'check')!;
    progress(1, 10);
    progress(10, 10);
    expect(stderr.text).toBe('');
  });
});
