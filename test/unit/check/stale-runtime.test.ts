/**
 * `check`'s rule 5: each `<app>/migrations/_bg_scaffold_v<N>.py` in the project against the runtime
 * this bg-scaffold ships. An older copy with no current one beside it, a current one that was
 * edited, and a newer one are findings that belong to no change (change `-`).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProject, type CheckReport } from '../../../src/check/check.js';
import { formatCheck } from '../../../src/cli/check.js';
import { toolVersion } from '../../../src/package-root.js';
import { RUNTIME_HISTORY } from '../../../src/runtime/runtime.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const example = join(repo, 'examples', 'shop');
/** The runtime as shipped, read here rather than through the code under test. */
const shipped = readFileSync(join(repo, 'python', 'runtime', '_bg_scaffold_v7.py'), 'utf8');
/** What an older bg-scaffold wrote: its content does not matter, its name does. */
const V1 = '# Written by bg-scaffold 0.1.0 for the PostgreSQL migrations it generates.\n';

let work: string;
let counter = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bg-stale-runtime-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of examples/shop with `files` (path → text) planted. */
function project(files: Record<string, string>): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const check = (dir: string): Promise<CheckReport> => checkProject(dir, { maxAge: null, now: new Date() });

describe('check: stale runtime copies', () => {
  it('an older copy with no current one beside it: file:1, both versions, what changed since, and the fix', async () => {
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v1.py': V1 }));
    expect(report.ok).toBe(false);
    expect(report.findingCount).toBe(1);
    expect(report.changes).toEqual([]);
    expect(report.projectFindings).toHaveLength(1);
    const [finding] = report.projectFindings;
    expect(finding).toMatchObject({ rule: 'stale-runtime', change: '-', file: 'shop/migrations/_bg_scaffold_v1.py', line: 1, column: null });
    expect(finding!.message).toMatch(new RegExp(`^runtime v1 is older than the v7 that bg-scaffold ${toolVersion().replace(/\./g, '\\.')} ships, and there is no _bg_scaffold_v7\\.py beside it; changed since v1: v2: `));
    for (const line of RUNTIME_HISTORY[1]!.changes) expect(finding!.message).toContain(line);
    expect(finding!.message).toMatch(/; bg-scaffold upgrade-runtime writes _bg_scaffold_v7\.py beside it \(the migrations that import v1 keep it\)$/);
  });

  it('an older copy with the current one beside it is what upgrade-runtime leaves: no finding', async () => {
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v1.py': V1, 'shop/migrations/_bg_scaffold_v7.py': shipped }));
    expect(report).toMatchObject({ ok: true, findingCount: 0, projectFindings: [] });
  });

  it('the current copy, as shipped: no finding', async () => {
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v7.py': shipped }));
    expect(report).toMatchObject({ ok: true, findingCount: 0, projectFindings: [] });
  });

  it('the current version’s name with other content: it differs from the runtime bg-scaffold ships', async () => {
    const edited = shipped.replace('BACKOFF_FIRST, BACKOFF_CAP = 0.1, 5.0', 'BACKOFF_FIRST, BACKOFF_CAP = 0.5, 5.0');
    expect(edited).not.toBe(shipped);
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v7.py': edited }));
    expect(report.projectFindings.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([
      `shop/migrations/_bg_scaffold_v7.py:1 differs from the runtime bg-scaffold ${toolVersion()} ships (v7, python/runtime/_bg_scaffold_v7.py): the migrations that import it run code bg-scaffold never tested; bg-scaffold upgrade-runtime puts the shipped file back`,
    ]);
  });

  it('a newer copy than this bg-scaffold knows: upgrade bg-scaffold', async () => {
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v7.py': shipped, 'shop/migrations/_bg_scaffold_v8.py': '# v8\n' }));
    expect(report.projectFindings.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([
      `shop/migrations/_bg_scaffold_v8.py:1 runtime v8 is newer than the v7 that bg-scaffold ${toolVersion()} ships: upgrade bg-scaffold`,
    ]);
  });

  it('each migrations folder stands on its own; a look-alike outside a migrations folder is not a runtime copy', async () => {
    const report = await check(
      project({
        'shop/migrations/_bg_scaffold_v1.py': V1,
        'shop/migrations/_bg_scaffold_v7.py': shipped,
        'billing/migrations/_bg_scaffold_v1.py': V1,
        'shop/_bg_scaffold_v1.py': V1,
      }),
    );
    expect(report.projectFindings.map((f) => f.file)).toEqual(['billing/migrations/_bg_scaffold_v1.py']);
  });

  it('the text report lists them under "-" after the changes, and the summary counts them', async () => {
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v1.py': V1, 'billing/migrations/_bg_scaffold_v8.py': '# v8\n' }));
    const lines = formatCheck(report).split('\n');
    expect(lines[0]).toBe('- (no change): 2 findings');
    expect(lines[1]).toMatch(/^ {2}billing\/migrations\/_bg_scaffold_v8\.py:1: stale-runtime: runtime v8 is newer/);
    expect(lines[2]).toMatch(/^ {2}shop\/migrations\/_bg_scaffold_v1\.py:1: stale-runtime: runtime v1 is older than the v7/);
    expect(lines.slice(3)).toEqual(['', `check failed: 2 findings of no change (0 changes, ${report.filesScanned} files scanned)`, '']);
  });

  it('beside a change’s findings, the summary says how many are in changes and how many in none', async () => {
    const report = await check(project({ 'shop/migrations/_bg_scaffold_v1.py': V1 }));
    const reference = { rule: 'reference' as const, change: 'c', file: 'shop/views.py', line: 3, column: 1, message: 'refers to Order.quantity' };
    const both: CheckReport = {
      ...report,
      changes: [{ change: 'c', op: 'rename-column', strategy: 'trigger', phase: 1, phases: 2, findings: [reference, { ...reference, line: 4 }] }],
      findingCount: 3,
    };
    const lines = formatCheck(both).split('\n');
    expect(lines[0]).toBe('c (rename-column, trigger), phase 1/2: 2 findings');
    expect(lines[4]).toBe('- (no change): 1 finding');
    expect(lines.at(-2)).toBe(`check failed: 3 findings: 2 in 1 change, 1 of no change (1 change, ${report.filesScanned} files scanned)`);
  });
});
