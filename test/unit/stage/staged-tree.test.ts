import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import { type CommitFileSystem, nodeFileSystem, StagedTree } from '../../../src/stage/staged-tree.js';
import { snapshotTree } from '../../cli/snapshot-tree.js';

let root: string;

/** A small Django-like project: an app with models and one migration. */
function makeProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bg-stage-'));
  mkdirSync(path.join(dir, 'shop/migrations'), { recursive: true });
  writeFileSync(path.join(dir, 'shop/models.py'), 'class Order(models.Model):\n    quantity = models.IntegerField()\n');
  writeFileSync(path.join(dir, 'shop/migrations/0001_initial.py'), '# initial\n');
  writeFileSync(path.join(dir, 'manage.py'), '#!/usr/bin/env python\n');
  chmodSync(path.join(dir, 'manage.py'), 0o755);
  return dir;
}

function file(rel: string): string {
  return readFileSync(path.join(root, rel), 'utf8');
}

/** The node fs, with one call made to fail. */
function failingFs(fail: { call: keyof CommitFileSystem; nth: number; code: string }): CommitFileSystem {
  let count = 0;
  const real = nodeFileSystem;
  const original = real[fail.call] as (...args: unknown[]) => Promise<unknown>;
  return {
    ...real,
    [fail.call]: async (...args: unknown[]) => {
      count += 1;
      if (count === fail.nth) throw Object.assign(new Error(`injected ${fail.code}`), { code: fail.code });
      return original(...args);
    },
  };
}

/** Stages a change that modifies two files and creates files in a new directory. */
function stageTypicalChange(tree: StagedTree): void {
  tree.write('shop/models.py', 'class Order(models.Model):\n    qty = models.IntegerField()\n');
  tree.write('manage.py', '#!/usr/bin/env python\n# touched\n');
  tree.create('shop/migrations/0002_order_qty.py', '# phase 1/2\n');
  tree.create('.bg-scaffold/order-quantity-to-qty/plan.json', '{}\n');
  tree.create('.bg-scaffold/order-quantity-to-qty/PLAN.md', '# plan\n');
}

beforeEach(() => {
  root = makeProject();
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('staging', () => {
  it('reads staged content first, then the disk, else null', () => {
    const tree = new StagedTree(root);
    expect(tree.read('shop/models.py')).toBe(file('shop/models.py'));
    expect(tree.read('shop/nothing.py')).toBeNull();
    tree.write('shop/models.py', 'staged\n');
    expect(tree.read('shop/models.py')).toBe('staged\n');
    expect(tree.read('./shop//models.py')).toBe('staged\n');
    expect(file('shop/models.py')).not.toBe('staged\n');
  });

  it('knows what exists on disk and in the stage', () => {
    const tree = new StagedTree(root);
    expect(tree.exists('shop/models.py')).toBe(true);
    expect(tree.exists('shop/migrations')).toBe(true);
    expect(tree.exists('shop/new.py')).toBe(false);
    tree.create('shop/new.py', '');
    expect(tree.exists('shop/new.py')).toBe(true);
    expect(tree.exists('.bg-scaffold/c')).toBe(false);
    tree.create('.bg-scaffold/c/plan.json', '{}');
    expect(tree.exists('.bg-scaffold/c')).toBe(true);
    expect(tree.exists('.bg-scaffold/c/plan')).toBe(false);
  });

  it('refuses to create a file that exists on disk or is already staged', () => {
    const tree = new StagedTree(root);
    expect(() => tree.create('shop/models.py', 'x')).toThrow(
      new BgScaffoldError('shop/models.py already exists; remove it or choose another change id'),
    );
    tree.create('shop/migrations/0002_x.py', 'a');
    expect(() => tree.create('shop/migrations/0002_x.py', 'b')).toThrow(/^shop\/migrations\/0002_x.py already exists/);
  });

  it('refuses paths outside the project', () => {
    const tree = new StagedTree(root);
    expect(() => tree.write('../elsewhere.py', 'x')).toThrow(BgScaffoldError);
    expect(() => tree.write('/etc/passwd', 'x')).toThrow(BgScaffoldError);
    expect(() => tree.read('shop/../../x')).toThrow(/not a path inside the project/);
  });

  it('lists only files whose content changes, sorted by path', () => {
    const tree = new StagedTree(root);
    tree.write('shop/models.py', file('shop/models.py'));
    tree.create('shop/b.py', 'b\n');
    tree.write('manage.py', 'changed\n');
    tree.create('shop/a.py', '');
    expect(tree.files()).toEqual([
      { path: 'manage.py', before: '#!/usr/bin/env python\n', after: 'changed\n' },
      { path: 'shop/a.py', before: null, after: '' },
      { path: 'shop/b.py', before: null, after: 'b\n' },
    ]);
  });

  it('keeps the original text when a file is written twice', () => {
    const tree = new StagedTree(root);
    tree.write('manage.py', 'one\n');
    tree.write('manage.py', 'two\n');
    expect(tree.files()).toEqual([{ path: 'manage.py', before: '#!/usr/bin/env python\n', after: 'two\n' }]);
  });

  it('prints a git-style unified diff of every changed file', () => {
    const tree = new StagedTree(root);
    tree.write('shop/models.py', 'class Order(models.Model):\n    qty = models.IntegerField()\n');
    tree.create('shop/migrations/0002_order_qty.py', 'from django.db import migrations\n');
    expect(tree.diff()).toBe(
      [
        'diff --git a/shop/migrations/0002_order_qty.py b/shop/migrations/0002_order_qty.py',
        'new file mode 100644',
        '--- /dev/null',
        '+++ b/shop/migrations/0002_order_qty.py',
        '@@ -0,0 +1,1 @@',
        '+from django.db import migrations',
        'diff --git a/shop/models.py b/shop/models.py',
        '--- a/shop/models.py',
        '+++ b/shop/models.py',
        '@@ -1,2 +1,2 @@',
        ' class Order(models.Model):',
        '-    quantity = models.IntegerField()',
        '+    qty = models.IntegerField()',
        '',
      ].join('\n'),
    );
  });

  it('has an empty diff when nothing changes', () => {
    const tree = new StagedTree(root);
    tree.write('manage.py', file('manage.py'));
    expect(tree.diff()).toBe('');
  });
});

describe('commit', () => {
  it('writes every staged file, creating directories, and returns the paths', async () => {
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    const written = await tree.commit();
    expect(written).toEqual([
      '.bg-scaffold/order-quantity-to-qty/PLAN.md',
      '.bg-scaffold/order-quantity-to-qty/plan.json',
      'manage.py',
      'shop/migrations/0002_order_qty.py',
      'shop/models.py',
    ]);
    for (const rel of written) expect(file(rel)).toBe(tree.read(rel));
    expect(snapshotTree(root).keys()).not.toContain('shop/.models.py.bg-scaffold-tmp');
  });

  it('keeps the mode of files it overwrites', async () => {
    const tree = new StagedTree(root);
    tree.write('manage.py', '#!/usr/bin/env python3\n');
    await tree.commit();
    expect(statSync(path.join(root, 'manage.py')).mode & 0o777).toBe(0o755);
  });

  it('writes through a symlink instead of replacing it', async () => {
    writeFileSync(path.join(root, 'shop/real_models.py'), 'real\n');
    rmSync(path.join(root, 'shop/models.py'));
    symlinkSync('real_models.py', path.join(root, 'shop/models.py'));
    const tree = new StagedTree(root);
    tree.write('shop/models.py', 'edited\n');
    await tree.commit();
    expect(file('shop/real_models.py')).toBe('edited\n');
    expect(snapshotTree(root).get('shop/models.py')).toBe('link real_models.py');
  });

  it('writes nothing and returns no paths when nothing changes', async () => {
    const before = snapshotTree(root);
    const tree = new StagedTree(root);
    tree.write('manage.py', file('manage.py'));
    expect(await tree.commit()).toEqual([]);
    expect(snapshotTree(root)).toEqual(before);
  });

  it('refuses a second commit', async () => {
    const tree = new StagedTree(root);
    tree.create('x.py', '');
    await tree.commit();
    await expect(tree.commit()).rejects.toThrow(/twice/);
  });
});

describe('commit is all or nothing', () => {
  it('writes nothing when a file stands where a directory must go', async () => {
    rmSync(path.join(root, 'shop/migrations'), { recursive: true });
    writeFileSync(path.join(root, 'shop/migrations'), 'not a package\n');
    const before = snapshotTree(root);
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    await expect(tree.commit()).rejects.toThrow(
      new BgScaffoldError(
        'cannot write shop/migrations/0002_order_qty.py: shop/migrations is a file, not a directory; nothing was written',
      ),
    );
    expect(snapshotTree(root)).toEqual(before);
  });

  it('writes nothing when a directory stands where a file must go', async () => {
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    mkdirSync(path.join(root, 'shop/migrations/0002_order_qty.py'));
    const before = snapshotTree(root);
    await expect(tree.commit()).rejects.toThrow(/^cannot write shop\/migrations\/0002_order_qty.py: it is a directory; nothing was written$/);
    expect(snapshotTree(root)).toEqual(before);
  });

  it.skipIf(process.getuid?.() === 0)('writes nothing into a read-only directory', async () => {
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    chmodSync(path.join(root, 'shop/migrations'), 0o555);
    try {
      const before = snapshotTree(root);
      await expect(tree.commit()).rejects.toThrow(
        /^cannot write shop\/migrations\/0002_order_qty.py: permission denied on shop\/migrations; nothing was written$/,
      );
      expect(snapshotTree(root)).toEqual(before);
    } finally {
      chmodSync(path.join(root, 'shop/migrations'), 0o755);
    }
  });

  it('writes nothing when a temp file cannot be written (what root meets on a full disk)', async () => {
    const before = snapshotTree(root);
    const tree = new StagedTree(root, { fs: failingFs({ call: 'writeFile', nth: 4, code: 'ENOSPC' }) });
    stageTypicalChange(tree);
    await expect(tree.commit()).rejects.toThrow(
      new BgScaffoldError('cannot write shop/migrations/0002_order_qty.py: no space left on device; nothing was written'),
    );
    expect(snapshotTree(root)).toEqual(before);
  });

  it('restores every file when a rename fails midway', async () => {
    const before = snapshotTree(root);
    const tree = new StagedTree(root, { fs: failingFs({ call: 'rename', nth: 5, code: 'EIO' }) });
    stageTypicalChange(tree);
    await expect(tree.commit()).rejects.toThrow(/^cannot write shop\/models.py: injected EIO; nothing was written$/);
    expect(snapshotTree(root)).toEqual(before);
  });

  it('restores every file when the first rename fails', async () => {
    const before = snapshotTree(root);
    const tree = new StagedTree(root, { fs: failingFs({ call: 'rename', nth: 1, code: 'EIO' }) });
    stageTypicalChange(tree);
    await expect(tree.commit()).rejects.toThrow(/nothing was written$/);
    expect(snapshotTree(root)).toEqual(before);
  });

  it('says which files it could not restore when the rollback fails too', async () => {
    const failing = failingFs({ call: 'rename', nth: 3, code: 'EIO' });
    const fs: CommitFileSystem = {
      ...failing,
      unlink: async (f) => {
        if (f.endsWith('PLAN.md')) throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
        return fsp.unlink(f);
      },
    };
    const tree = new StagedTree(root, { fs });
    stageTypicalChange(tree);
    await expect(tree.commit()).rejects.toThrow(
      /^cannot write manage.py: injected EIO; could not restore .bg-scaffold\/order-quantity-to-qty\/PLAN.md, .bg-scaffold\/order-quantity-to-qty\/, .bg-scaffold\/: check them by hand/,
    );
  });
});

describe('concurrent edits', () => {
  it('refuses to overwrite a file someone edited after it was staged', async () => {
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    writeFileSync(path.join(root, 'shop/models.py'), 'edited by someone else\n');
    const before = snapshotTree(root);
    await expect(tree.commit()).rejects.toThrow(
      new BgScaffoldError('shop/models.py was changed on disk while bg-scaffold was working; nothing was written'),
    );
    expect(snapshotTree(root)).toEqual(before);
  });

  it('refuses to create a file someone else created meanwhile', async () => {
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    writeFileSync(path.join(root, 'shop/migrations/0002_order_qty.py'), '# theirs\n');
    const before = snapshotTree(root);
    await expect(tree.commit()).rejects.toThrow(/^shop\/migrations\/0002_order_qty.py was created on disk/);
    expect(snapshotTree(root)).toEqual(before);
    expect(existsSync(path.join(root, '.bg-scaffold'))).toBe(false);
  });

  it('refuses when a file it read was deleted meanwhile', async () => {
    const tree = new StagedTree(root);
    stageTypicalChange(tree);
    rmSync(path.join(root, 'manage.py'));
    await expect(tree.commit()).rejects.toThrow(/^manage.py was deleted on disk/);
    expect(existsSync(path.join(root, 'manage.py'))).toBe(false);
  });
});

describe('removals', () => {
  function stageReviewRewrite(tree: StagedTree): void {
    for (const old of tree.list('.bg-scaffold/c/phase-2')) tree.remove(old);
    tree.write('.bg-scaffold/c/phase-2/0005_c.py', '# actual\n');
  }

  beforeEach(() => {
    mkdirSync(path.join(root, '.bg-scaffold/c/phase-2/sub'), { recursive: true });
    writeFileSync(path.join(root, '.bg-scaffold/c/phase-2/0004_c.py'), '# expected\n');
    writeFileSync(path.join(root, '.bg-scaffold/c/phase-2/models.py.patch'), '--- a\n');
    writeFileSync(path.join(root, '.bg-scaffold/c/phase-2/sub/x.txt'), 'x\n');
    chmodSync(path.join(root, '.bg-scaffold/c/phase-2/sub/x.txt'), 0o600);
  });

  it('lists the files under a directory as they will be after the commit', () => {
    const tree = new StagedTree(root);
    tree.create('.bg-scaffold/c/phase-2/new.py', '');
    tree.remove('.bg-scaffold/c/phase-2/models.py.patch');
    expect(tree.list('.bg-scaffold/c/phase-2')).toEqual([
      '.bg-scaffold/c/phase-2/0004_c.py',
      '.bg-scaffold/c/phase-2/new.py',
      '.bg-scaffold/c/phase-2/sub/x.txt',
    ]);
    expect(tree.list('nowhere')).toEqual([]);
  });

  it('shows a removed file as deleted, and can create it again', () => {
    const tree = new StagedTree(root);
    tree.remove('.bg-scaffold/c/phase-2/0004_c.py');
    expect(tree.exists('.bg-scaffold/c/phase-2/0004_c.py')).toBe(false);
    expect(tree.read('.bg-scaffold/c/phase-2/0004_c.py')).toBeNull();
    expect(tree.diff()).toBe(
      [
        'diff --git a/.bg-scaffold/c/phase-2/0004_c.py b/.bg-scaffold/c/phase-2/0004_c.py',
        'deleted file mode 100644',
        '--- a/.bg-scaffold/c/phase-2/0004_c.py',
        '+++ /dev/null',
        '@@ -1,1 +0,0 @@',
        '-# expected',
        '',
      ].join('\n'),
    );
    tree.create('.bg-scaffold/c/phase-2/0004_c.py', '# expected\n');
    expect(tree.files()).toEqual([]);
  });

  it('removing a file that was only staged forgets it', () => {
    const tree = new StagedTree(root);
    tree.create('shop/tmp.py', 'x');
    tree.remove('shop/tmp.py');
    tree.remove('shop/never-there.py');
    expect(tree.files()).toEqual([]);
  });

  it('removes files on commit and prunes the directories they leave empty', async () => {
    const tree = new StagedTree(root);
    stageReviewRewrite(tree);
    expect(await tree.commit()).toEqual([
      '.bg-scaffold/c/phase-2/0004_c.py',
      '.bg-scaffold/c/phase-2/0005_c.py',
      '.bg-scaffold/c/phase-2/models.py.patch',
      '.bg-scaffold/c/phase-2/sub/x.txt',
    ]);
    const after = snapshotTree(root);
    expect([...after.keys()].filter((k) => k.startsWith('.bg-scaffold'))).toEqual([
      '.bg-scaffold',
      '.bg-scaffold/c',
      '.bg-scaffold/c/phase-2',
      '.bg-scaffold/c/phase-2/0005_c.py',
    ]);
  });

  it('restores removed files (and their modes) when a later removal fails', async () => {
    const before = snapshotTree(root);
    const tree = new StagedTree(root, { fs: failingFs({ call: 'unlink', nth: 3, code: 'EBUSY' }) });
    stageReviewRewrite(tree);
    await expect(tree.commit()).rejects.toThrow(/^cannot write .bg-scaffold\/c\/phase-2\/sub\/x.txt: injected EBUSY; nothing was written$/);
    expect(snapshotTree(root)).toEqual(before);
  });
});
