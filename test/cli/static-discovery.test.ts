/**
 * Without Django (no interpreter with Django, or --no-django), bg-scaffold reads the source: it
 * still follows bases and foreign keys across the project's apps, and what it cannot know it
 * refuses in one true line that says how to let Django answer — never advice that cannot work.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const ZOO = join(import.meta.dirname, '..', '..', 'examples', 'zoo');
const root = mkdtempSync(join(tmpdir(), 'bg-static-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
function zoo(): string {
  const dir = join(root, `zoo-${++copies}`);
  cpSync(ZOO, dir, { recursive: true });
  return dir;
}

async function refused(args: string[], prepare: (dir: string) => void = () => {}): Promise<string> {
  const dir = zoo();
  prepare(dir);
  const before = snapshotTree(dir);
  const run = await runCli([...args, '--project', dir, '--no-django', '--yes']);
  expect(run.code, run.stdout).toBe(2);
  expect(snapshotTree(dir)).toEqual(before);
  return run.stderr.trim();
}

describe('reading the zoo without Django', () => {
  it('knows a model whose base class another app declares, and writes its plan', async () => {
    const run = await runCli(['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'status', '--to', 'state', '--project', zoo(), '--no-django', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('modify inventory/models.py');
  });

  it('follows a foreign key to ContentType imported by class', async () => {
    const run = await runCli(['remove-column', '--app', 'stock', '--model', 'JournalEntry', '--field', 'origin_type', '--project', zoo(), '--no-django', '--yes']);
    expect(run.code, run.stderr).toBe(0);
  });

  it('refuses a field declared in the base class, naming where it is declared', async () => {
    expect(await refused(['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'description', '--to', 'summary'])).toBe(
      'bg-scaffold: Site.description is declared in PrimaryModel (core/models.py:17), a base class Site inherits; rename it there, for every model that inherits it, or redeclare it on Site first',
    );
  });

  it('a GenericForeignKey has no column of its own', async () => {
    expect(await refused(['remove-column', '--app', 'stock', '--model', 'JournalEntry', '--field', 'assigned_object'])).toBe(
      'bg-scaffold: JournalEntry.assigned_object is a GenericForeignKey and has no column of its own (it reads two other fields): remove it in the model by hand, no migration is needed',
    );
  });

  it('an ArrayField: what its positional base field means needs Django, and the line says so', async () => {
    const trigger = await refused(['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'aliases', '--to', 'nicknames']);
    expect(trigger).toBe(
      "bg-scaffold: bg-scaffold cannot tell the PostgreSQL type of ArrayField (Site.aliases) without Django; run it with the project's Python (--python, or BG_PYTHON)",
    );
    const dbColumn = await refused(['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'aliases', '--to', 'nicknames', '--strategy', 'db-column']);
    expect(dbColumn).toMatch(/^bg-scaffold: cannot carry over the positional argument models\.TextField\(\) of aliases without Django .*--python/);
    expect(dbColumn).not.toContain('verbose_name');
  });

  it('a field another relation keys on (to_field) is refused, read from the source too', async () => {
    const line = await refused(['remove-column', '--app', 'stock', '--model', 'Site', '--field', 'code']);
    expect(line).toBe(
      'bg-scaffold: Site.code is the key (to_field) of stock.Rack.site: it cannot be removed while a relation points at it; point it at another field first (makemigrations), or leave Site.code',
    );
  });

  it('a default from a module function: never advice to use the strategy already given', async () => {
    // Rack.site keys on Site.code (to_field), which is refused first: here it keys on the id.
    const keyedOnId = (dir: string) => {
      const models = join(dir, 'inventory', 'models.py');
      writeFileSync(models, readFileSync(models, 'utf8').replace('Site, to_field="code", on_delete', 'Site, on_delete'));
    };
    const line = await refused(['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'code', '--to', 'site_code', '--strategy', 'db-column'], keyedOnId);
    expect(line).toMatch(/^bg-scaffold: cannot write default = default_code into a migration without Django/);
    expect(line).toContain('--python');
    expect(line).not.toContain('--strategy db-column');
  });
});
