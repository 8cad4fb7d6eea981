/** The benchmark's tree generator, at a tiny size, so that `npm run bench:check` cannot rot. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDjangoTree } from '../../../bench/generate-tree.js';
import { findReferences } from '../../../src/check/references.js';

const root = mkdtempSync(join(tmpdir(), 'bg-bench-tiny-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bench/generate-tree', () => {
  const tree = generateDjangoTree(root, { pythonFiles: 60, templates: 12, filesPerApp: 20, referenceShare: 0.2, proseShare: 0.5, seed: 7 });

  it('writes the requested number of Python files and templates, full of look-alikes', () => {
    const files = readdirSync(root, { recursive: true }).map(String);
    const python = files.filter((f) => f.endsWith('.py') && !f.includes('migrations') && f !== 'manage.py' && !f.startsWith('config') && !f.endsWith('__init__.py'));
    expect(python).toHaveLength(60);
    expect(files.filter((f) => f.endsWith('.html'))).toHaveLength(12);
    expect(tree).toMatchObject({ pythonFiles: 60, templates: 12 });
    const grep = execFileSync('grep', ['-rlw', 'quantity_allocated', root], { encoding: 'utf8' });
    expect(grep.split('\n').filter(Boolean).length).toBeGreaterThan(60);
  });

  it('plants real references, and the scanner finds exactly those', async () => {
    expect(tree.plantedReferences).toBeGreaterThan(0);
    const refs = await findReferences(root, [{ app: 'shop', model: 'Order', name: 'quantity', kind: 'field' }], {
      // The field's own model file defines it: not a reference either way.
      exclude: (path) => path === 'shop/models.py',
    });
    expect(refs).toHaveLength(tree.plantedReferences);
    expect(new Set(refs.map((ref) => ref.file)).size).toBe(tree.filesWithReferences);
  });
});
