/**
 * The runtime every generated PostgreSQL migration imports is a static file whose name carries its
 * version (python/runtime/_bg_scaffold_v<N>.py). Changing its behaviour must make a new version:
 * these tests fail when the shipped file no longer matches the hash its version recorded.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatPython } from '../../../src/render/format.js';
import { OPS_MODULE } from '../../../src/render/migration.js';
import {
  changesSince,
  currentRuntime,
  RUNTIME_HISTORY,
  RUNTIME_MODULE,
  RUNTIME_VERSION,
  runtimeCopy,
  runtimeFileName,
  runtimeVersionOf,
  shippedRuntimePath,
} from '../../../src/runtime/runtime.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const runtimeDir = join(repo, 'python', 'runtime');
const shippedBytes = () => readFileSync(join(runtimeDir, runtimeFileName()));

describe('the shipped runtime', () => {
  it('is the version its hash was recorded for: a change of behaviour is a new version', () => {
    const actual = createHash('sha256').update(shippedBytes()).digest('hex');
    expect(
      actual,
      [
        `python/runtime/${runtimeFileName()} changed, but migrations already generated import ${RUNTIME_MODULE} and must keep running the code they were tested with.`,
        `Make the change a new version: git mv it to _bg_scaffold_v${RUNTIME_VERSION + 1}.py, set RUNTIME_VERSION to ${RUNTIME_VERSION + 1} in src/runtime/runtime.ts,`,
        `and add to RUNTIME_HISTORY its sha256 (${actual}) and one line for each behaviour it changes.`,
      ].join('\n'),
    ).toBe(currentRuntime().sha256);
  });

  it('is the only version shipped, at the path bg-scaffold reads', () => {
    expect(readdirSync(runtimeDir)).toEqual([runtimeFileName()]);
    expect(shippedRuntimePath()).toBe(join(runtimeDir, `_bg_scaffold_v${RUNTIME_VERSION}.py`));
  });

  it('says which version it is in its header, and is no template', () => {
    const text = shippedBytes().toString('utf8');
    expect(text.split('\n')[0]).toContain(`bg-scaffold runtime, version ${RUNTIME_VERSION}:`);
    expect(text).not.toMatch(/{{|}}/);
  });

  it('is formatted as ruff format would', () => {
    const text = shippedBytes().toString('utf8');
    expect(formatPython(text, runtimeFileName()) === text, `${runtimeFileName()} is not ruff-formatted`).toBe(true);
  });

  it('is what a migrations folder receives, byte for byte, whatever the template packs', () => {
    const copy = runtimeCopy('shop/migrations');
    expect(copy.path).toBe(`shop/migrations/${runtimeFileName()}`);
    expect(Buffer.from(copy.content, 'utf8').equals(shippedBytes())).toBe(true);
    expect(OPS_MODULE).toBe(`_bg_scaffold_v${RUNTIME_VERSION}`);
  });
});

describe('the runtime history', () => {
  it('has every version from 1 to the current one, each with what it changed', () => {
    expect(RUNTIME_HISTORY.map((release) => release.version)).toEqual(Array.from({ length: RUNTIME_VERSION }, (_, i) => i + 1));
    for (const release of RUNTIME_HISTORY) expect(release.changes.length, `v${release.version}`).toBeGreaterThan(0);
  });

  it('records a hash for every version since the runtime became a static file (v1 was a template)', () => {
    expect(RUNTIME_HISTORY[0]!.sha256).toBeNull();
    for (const release of RUNTIME_HISTORY.slice(1)) expect(release.sha256, `v${release.version}`).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says what changed since an older version, version by version', () => {
    expect(changesSince(RUNTIME_VERSION)).toEqual([]);
    expect(changesSince(RUNTIME_VERSION - 1)).toEqual(currentRuntime().changes.map((line) => `v${RUNTIME_VERSION}: ${line}`));
    expect(changesSince(1)[0]).toMatch(/^v2: a static file, versioned by name/);
    expect(changesSince(1).at(-1)).toBe(`v${RUNTIME_VERSION}: ${currentRuntime().changes.at(-1)}`);
  });
});

describe('runtime file names', () => {
  it.each([
    ['_bg_scaffold_v1.py', 1],
    ['shop/migrations/_bg_scaffold_v12.py', 12],
    ['_bg_scaffold_v0.py', null],
    ['_bg_scaffold_v2.pyc', null],
    ['x_bg_scaffold_v2.py', null],
    ['0004_order_qty.py', null],
  ])('%s is version %s', (path, version) => {
    expect(runtimeVersionOf(path)).toBe(version);
  });
});
