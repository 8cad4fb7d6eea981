/**
 * The Django version and the database a project uses, read from its dependency files and
 * settings. Parsers are pure functions of file text; `detectDjangoVersion` and `detectDatabase`
 * do the reading. Both answer null when unsure: the CLI then asks, or takes a flag.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from './types.js';

/**
 * `major.minor` of the lowest Django a version specifier allows: `==5.2.3` → 5.2, `>=5.2,<6` → 5.2,
 * `~=5.1` → 5.1, `^4.2` → 4.2, `5.0.*` → 5.0. Upper bounds alone (`<6`) say nothing → null.
 */
export function lowestVersion(specifier: string): string | null {
  for (const clause of specifier.split(',')) {
    const match = /^\s*(\^|~=|~|===|==|>=|>)?\s*v?(\d+)(?:\.(\d+))?/.exec(clause);
    if (match && !/^\s*(<|!)/.test(clause)) return `${match[2]}.${match[3] ?? '0'}`;
  }
  return null;
}

/** A PEP 508 requirement naming Django (`Django[argon2]>=5.2,<6; python_version>"3.10"`) → its specifier. */
function djangoSpecifier(requirement: string): string | null {
  const match = /^\s*django\s*(?:\[[^\]]*\])?\s*(?=[<>=~!^;(\s]|$)(.*)$/i.exec(requirement);
  if (!match) return null;
  return match[1]!.split(';')[0]!.replace(/[()]/g, '').trim();
}

/** A requirement's specifier starts with an operator; `"django 4 app"` in a description does not. */
const PEP440_OPERATOR = /^(===|==|~=|>=|<=|>|<|!=)/;

export function djangoVersionFromRequirements(text: string): string | null {
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine
      .replace(/(^|\s)#.*$/, '')
      .replace(/\\$/, '')
      .split(/\s--hash/)[0]!;
    const specifier = djangoSpecifier(line);
    if (specifier && PEP440_OPERATOR.test(specifier)) {
      const version = lowestVersion(specifier);
      if (version) return version;
    }
  }
  return null;
}

/** PEP 621 `dependencies = ["django>=5.2"]`, Poetry `django = "^5.1"` / `Django = {version = "^4.2"}`, Pipfile. */
export function djangoVersionFromPyproject(text: string): string | null {
  for (const quoted of text.matchAll(/["']([^"'\n]*)["']/g)) {
    const specifier = djangoSpecifier(quoted[1]!);
    if (specifier && PEP440_OPERATOR.test(specifier)) {
      const version = lowestVersion(specifier);
      if (version) return version;
    }
  }
  const table =
    /^\s*["']?django["']?\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)'|\{[^}\n]*\bversion\s*=\s*["']([^"'\n]*)["'])/im.exec(text);
  if (table) return lowestVersion(table[1] ?? table[2] ?? table[3] ?? '');
  return null;
}

/** `poetry.lock` and `uv.lock`: a `[[package]]` table with `name = "django"` and `version = "5.2.3"`. */
export function djangoVersionFromLock(text: string): string | null {
  for (const block of text.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const table = block.split(/^\[/m)[0]!;
    if (!/^name\s*=\s*["']django["']\s*$/im.test(table)) continue;
    const version = /^version\s*=\s*["']([^"']+)["']/m.exec(table);
    if (version) return lowestVersion(version[1]!);
  }
  return null;
}

export function djangoVersionFromPipfileLock(text: string): string | null {
  try {
    const lock = JSON.parse(text) as Record<string, Record<string, { version?: string }> | undefined>;
    for (const section of ['default', 'develop']) {
      const entries = lock[section] ?? {};
      const name = Object.keys(entries).find((key) => key.toLowerCase() === 'django');
      const version = name ? entries[name]?.version : undefined;
      if (version) return lowestVersion(version);
    }
  } catch {
    return null;
  }
  return null;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/**
 * Looks in the project root, then in up to three folders above it (a repository whose Django
 * project sits in `backend/`), stopping at the repository root. Lock files first: they are exact.
 */
export async function detectDjangoVersion(root: string): Promise<string | null> {
  let dir = path.resolve(root);
  for (let level = 0; level < 4; level += 1) {
    const entries = await listDir(dir);
    const candidates: Array<[string, (text: string) => string | null]> = [
      ['uv.lock', djangoVersionFromLock],
      ['poetry.lock', djangoVersionFromLock],
      ['Pipfile.lock', djangoVersionFromPipfileLock],
      ...entries
        .filter((name) => /^requirements.*\.txt$/i.test(name))
        .map((name): [string, (text: string) => string | null] => [name, djangoVersionFromRequirements]),
      ...(entries.includes('requirements')
        ? (await listDir(path.join(dir, 'requirements')))
            .filter((name) => name.endsWith('.txt'))
            .map((name): [string, (text: string) => string | null] => [
              `requirements/${name}`,
              djangoVersionFromRequirements,
            ])
        : []),
      ['pyproject.toml', djangoVersionFromPyproject],
      ['Pipfile', djangoVersionFromPyproject],
    ];
    for (const [name, parse] of candidates) {
      const text = await readText(path.join(dir, name));
      const version = text === null ? null : parse(text);
      if (version) return version;
    }
    const parent = path.dirname(dir);
    if (entries.includes('.git') || parent === dir) break;
    dir = parent;
  }
  return null;
}

/** The database a settings module configures; PostgreSQL wins over a SQLite fallback. */
export function databaseFromSettings(texts: string[]): Database | null {
  const code = texts.map((text) => text.replace(/^\s*#.*$/gm, '')).join('\n');
  if (/django\.db\.backends\.postgresql|postgis|\bpostgres(?:ql)?(?:\+\w+)?:\/\//i.test(code)) return 'postgresql';
  if (/django\.db\.backends\.mysql|\.backends\.mysql|\bmysql(?:\+\w+)?:\/\/|\bmariadb:\/\//i.test(code)) return 'mysql';
  if (/sqlite3|\bsqlite:\/\//i.test(code)) return 'sqlite';
  return null;
}

const SKIPPED_DIRS = new Set(['node_modules', 'venv', 'env', '__pycache__', 'site-packages']);

/** Settings modules near the root: any `settings.py`, and modules of a `settings` package, up to three folders deep. */
export async function findSettingsFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (
        entry.isFile() &&
        (entry.name === 'settings.py' || (path.basename(dir) === 'settings' && entry.name.endsWith('.py')))
      ) {
        found.push(full);
      } else if (entry.isDirectory() && depth < 3 && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) {
        await walk(full, depth + 1);
      }
    }
  };
  await walk(root, 0);
  return found;
}

export async function detectDatabase(root: string): Promise<Database | null> {
  const files = await findSettingsFiles(root);
  const texts = await Promise.all(files.map(readText));
  return databaseFromSettings(texts.filter((text): text is string => text !== null));
}
