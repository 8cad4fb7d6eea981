/**
 * The runtime a migrations folder receives is one file, python/runtime/_bg_scaffold_v<N>.py, copied
 * byte for byte. Golden trees keep `<path>.sha256` (its hex sha256) in place of each copy, so the
 * runtime is reviewed once, in python/runtime/, and every copy written must hash to that file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'vitest';

const RUNTIME_COPY = /(?:^|\/)_bg_scaffold_v[1-9][0-9]*\.py$/;

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The files a release wrote, as the golden tree stores them: each runtime copy as `<path>.sha256`. */
export function asGoldenFiles(repo: string, written: Map<string, string>): Map<string, string> {
  const golden = new Map<string, string>();
  for (const [path, content] of written) {
    if (!RUNTIME_COPY.test(path)) {
      golden.set(path, content);
      continue;
    }
    const hash = sha256(content);
    const shipped = join('python', 'runtime', basename(path));
    expect(hash, `${path} is ${shipped}, byte for byte`).toBe(sha256(readFileSync(join(repo, shipped))));
    golden.set(`${path}.sha256`, `${hash}\n`);
  }
  return golden;
}
