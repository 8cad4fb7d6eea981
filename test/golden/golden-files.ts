/**
 * One release's files against its golden copy, `test/golden/<operation>/<scenario>/release-<k>/`:
 * the same paths and the same bytes. With UPDATE_GOLDEN=1 the golden copy is rewritten first.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { expect } from 'vitest';

const update = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

export function compareRelease(goldenRoot: string, scenario: string, release: number, written: Map<string, string>): void {
  const dir = join(goldenRoot, scenario, `release-${release}`);
  if (update) {
    rmSync(dir, { recursive: true, force: true });
    for (const [path, content] of written) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  }
  expect([...written.keys()].sort(), `files written in release ${release}`).toEqual(listFiles(dir));
  for (const [path, content] of written) {
    expect(content, `${scenario} release ${release}: ${path}`).toBe(readFileSync(join(dir, path), 'utf8'));
  }
}
