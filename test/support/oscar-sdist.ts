/**
 * The django-oscar source distribution that the labelled corpus in test/fixtures/oscar-quantity was
 * made from: a real Django codebase where `quantity` belongs to many models (basket, order and wishlist
 * lines, order line prices, shipping and payment event quantities).
 *
 * The sdist is fetched once per checkout with the Django 5.2 venv's pip, checked against the pinned
 * sha256 and unpacked under `.cache/corpus/django-oscar-<version>/` (git ignores `.cache/`).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withFileLock } from '../harness/lock.js';
import { runChecked } from '../harness/process.js';
import { ensureDjangoEnv } from '../harness/python-env.js';
import { cacheDir, harnessLog, repoRoot } from '../harness/repo.js';

export const OSCAR_VERSION = '4.2.1';
export const OSCAR_SDIST_SHA256 = 'bbe1dfc0b57954a2853d1c5ac35d212425143d92980516aa64e68bedcf3fb923';

/** Written into the extracted folder last: a folder without it is a half-finished extraction. */
const MARKER = '.bg-scaffold-sdist.json';

/** pip downloads a metadata build of the sdist; a cold cache needs a build backend too. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export function corpusDir(): string {
  return path.join(cacheDir(), 'corpus');
}

/** The folder the sdist is unpacked into (the archive's top-level folder stripped). */
export function oscarSourceDir(): string {
  return path.join(corpusDir(), `django-oscar-${OSCAR_VERSION}`);
}

/**
 * The extracted django-oscar sdist (its root: `src/oscar/...`, `setup.py`, ...), downloading and
 * unpacking it when it is not there yet. Safe when several test processes ask at the same time.
 */
export async function oscarSource(): Promise<string> {
  const dir = oscarSourceDir();
  if (await isExtracted(dir)) return dir;
  return withFileLock(
    `${dir}.lock`,
    async () => {
      if (await isExtracted(dir)) return dir;
      const archive = await fetchArchive();
      await extract(archive, dir);
      return dir;
    },
    { label: `the django-oscar ${OSCAR_VERSION} sdist` },
  );
}

async function isExtracted(dir: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await fs.readFile(path.join(dir, MARKER), 'utf8')) as { sha256?: string };
    return marker.sha256 === OSCAR_SDIST_SHA256;
  } catch {
    return false;
  }
}

/** pip names the file after the normalized project name (django_oscar-…); older pips kept the dash. */
function archiveCandidates(): string[] {
  return [`django_oscar-${OSCAR_VERSION}.tar.gz`, `django-oscar-${OSCAR_VERSION}.tar.gz`].map((name) => path.join(corpusDir(), name));
}

async function fetchArchive(): Promise<string> {
  for (const candidate of archiveCandidates()) {
    if (existsSync(candidate) && (await sha256(candidate)) === OSCAR_SDIST_SHA256) return candidate;
  }
  await fs.mkdir(corpusDir(), { recursive: true });
  const env = await ensureDjangoEnv('5.2');
  harnessLog(`downloading the django-oscar ${OSCAR_VERSION} sdist into ${path.relative(process.cwd(), corpusDir())}`);
  // A hash-pinned requirements file makes pip itself refuse any other file; the sha256 is checked
  // again below, on whatever file pip left behind.
  const requirements = path.join(corpusDir(), `django-oscar-${OSCAR_VERSION}.requirements.txt`);
  await fs.writeFile(requirements, `django-oscar==${OSCAR_VERSION} --hash=sha256:${OSCAR_SDIST_SHA256}\n`);
  try {
    await runChecked(
      env.python,
      ['-m', 'pip', 'download', '--no-deps', '--no-binary', 'django-oscar', '--disable-pip-version-check', '-d', corpusDir(), '-r', requirements],
      { timeoutMs: DOWNLOAD_TIMEOUT_MS },
    );
  } finally {
    await fs.rm(requirements, { force: true });
  }
  for (const candidate of archiveCandidates()) {
    if (!existsSync(candidate)) continue;
    const actual = await sha256(candidate);
    if (actual === OSCAR_SDIST_SHA256) return candidate;
    await fs.rm(candidate, { force: true });
    throw new Error(`django-oscar ${OSCAR_VERSION} sdist: sha256 ${actual}, expected ${OSCAR_SDIST_SHA256}; the file was removed`);
  }
  throw new Error(`pip download left no django-oscar ${OSCAR_VERSION} sdist in ${corpusDir()}`);
}

/** Unpacks into a sibling folder first and renames it into place, so a crash leaves no half tree. */
async function extract(archive: string, dir: string): Promise<void> {
  const staging = `${dir}.partial-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  await runChecked('tar', ['-xzf', archive, '-C', staging, '--strip-components=1']);
  await fs.writeFile(path.join(staging, MARKER), JSON.stringify({ version: OSCAR_VERSION, sha256: OSCAR_SDIST_SHA256 }) + '\n');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(staging, dir);
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export type OscarLabel = 'target' | 'other' | 'not-a-reference';

/** One hand-labelled hit of test/fixtures/oscar-quantity/labels.json (its README gives the rules). */
export interface OscarHit {
  file: string;
  line: number;
  column: number;
  text: string;
  label: OscarLabel;
  owner: string;
  why: string;
}

export interface OscarCorpus {
  source: { package: string; version: string; sha256: string };
  target: { app: string; model: string; field: string };
  hits: OscarHit[];
}

export function readOscarCorpus(): OscarCorpus {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'oscar-quantity', 'labels.json'), 'utf8')) as OscarCorpus;
}
