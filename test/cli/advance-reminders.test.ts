/**
 * `bg-scaffold advance` reminds the user of the code that still names what the change has taken
 * away once the phase is written (read as the phase leaves the tree), as generation does for phase 1
 * and `bg-scaffold check` reports it. Runs in-process on copies of examples/shop.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from './in-process.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(path.join(tmpdir(), 'bg-advance-reminders-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the shop with phase 1 of removing Order.note generated. */
async function removingNote(name: string): Promise<string> {
  const dir = path.join(work, name);
  cpSync(example, dir, { recursive: true });
  const generated = await runMain(['remove-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--field', 'note', '--yes', '--no-django']);
  expect(generated.code, generated.stderr).toBe(0);
  return dir;
}

const advance = (dir: string) => runMain(['advance', 'remove-order-note', '--project', dir, '--yes', '--no-django']);

describe('advance reminds of the code that still names what the change took away', () => {
  it('lists the references left when the phase takes the field out of the model', async () => {
    const run = await advance(await removingNote('left'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      'warning: 4 references to Order.note still in the code: remove them before this release ships (removed from the model by this change); `bg-scaffold check` lists them again\n',
    );
    expect(run.stderr).toContain('warning: shop/services.py:17: ');
  });

  it('says nothing once the code no longer names it', async () => {
    const dir = await removingNote('clean');
    const edit = (file: string, change: (text: string) => string) => writeFileSync(path.join(dir, file), change(readFileSync(path.join(dir, file), 'utf8')));
    edit('shop/admin.py', (text) => text.replace('"status", "note", "placed_at"', '"status", "placed_at"'));
    edit('shop/services.py', (text) => text.replace(', note=note)', ')'));
    edit('shop/templates/shop/order_detail.html', (text) => text.replace(/\{% if order\.note %\}[\s\S]*?\{% endif %\}/, ''));
    const run = await advance(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/references? to Order\.note/);
  });
});
