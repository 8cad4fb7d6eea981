import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  databaseFromSettings,
  detectDatabase,
  detectDjangoVersion,
  djangoVersionFromLock,
  djangoVersionFromPipfileLock,
  djangoVersionFromPyproject,
  djangoVersionFromRequirements,
  lowestVersion,
} from '../../../src/project/environment.js';

describe('Django version from requirements files', () => {
  it.each([
    ['Django==5.2.3', '5.2'],
    ['django>=5.2,<6', '5.2'],
    ['Django~=5.1', '5.1'],
    ['django[argon2] == 4.2.*  # LTS', '4.2'],
    ['Django==5.0 \\\n    --hash=sha256:abc', '5.0'],
    ['Django<6,>=5.1; python_version >= "3.10"', '5.1'],
    ['django-environ==0.11\ndjangorestframework==3.15', null],
    ['Django<6', null],
    ['# Django==4.2\n', null],
  ])('%j → %j', (text, version) => {
    expect(djangoVersionFromRequirements(text)).toBe(version);
  });

  it('lower bounds of ranges are good enough', () => {
    expect(lowestVersion('^4.2')).toBe('4.2');
    expect(lowestVersion('>5')).toBe('5.0');
    expect(lowestVersion('!=5.0,>=4.2')).toBe('4.2');
  });
});

describe('Django version from pyproject.toml and lock files', () => {
  it('reads PEP 621 dependencies', () => {
    const text =
      '[project]\nname = "shop"\ndescription = "django 4 shop"\ndependencies = [\n  "psycopg[binary]>=3.1",\n  "Django>=5.2,<6",\n]\n';
    expect(djangoVersionFromPyproject(text)).toBe('5.2');
  });

  it('reads Poetry dependencies, plain or as a table', () => {
    expect(djangoVersionFromPyproject('[tool.poetry.dependencies]\npython = "^3.12"\ndjango = "^5.1"\n')).toBe('5.1');
    expect(
      djangoVersionFromPyproject('[tool.poetry.dependencies]\nDjango = { version = "~4.2", extras = ["argon2"] }\n'),
    ).toBe('4.2');
  });

  it('reads poetry.lock and uv.lock package tables', () => {
    const lock =
      '[[package]]\nname = "django-environ"\nversion = "0.11.2"\n\n[[package]]\nname = "django"\nversion = "5.2.3"\nsource = { registry = "x" }\n';
    expect(djangoVersionFromLock(lock)).toBe('5.2');
    expect(djangoVersionFromLock('[[package]]\nname = "asgiref"\nversion = "3.8.1"\n')).toBeNull();
  });

  it('reads Pipfile.lock', () => {
    expect(djangoVersionFromPipfileLock(JSON.stringify({ default: { django: { version: '==4.2.16' } } }))).toBe('4.2');
    expect(djangoVersionFromPipfileLock('not json')).toBeNull();
  });
});

describe('database from settings', () => {
  it('prefers PostgreSQL over a SQLite fallback', () => {
    expect(
      databaseFromSettings([
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}',
        'if DEBUG:\n    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3"}',
      ]),
    ).toBe('postgresql');
  });

  it.each([
    ['DATABASES = {"default": dj_database_url.config(default="postgres://u@h/db")}', 'postgresql'],
    ['DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}', 'mysql'],
    ['DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}', 'sqlite'],
    ['# "ENGINE": "django.db.backends.postgresql"\nDATABASES = {}', null],
    ['DEBUG = True', null],
  ])('%j → %j', (text, database) => {
    expect(databaseFromSettings([text])).toBe(database);
  });
});

describe('reading them from disk', () => {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('looks above a project kept in a subfolder, and reads a settings package', async () => {
    const repo = await mkdtemp(path.join(os.tmpdir(), 'bg-env-'));
    made.push(repo);
    await mkdir(path.join(repo, '.git'));
    await mkdir(path.join(repo, 'backend/config/settings'), { recursive: true });
    await writeFile(path.join(repo, 'uv.lock'), '[[package]]\nname = "django"\nversion = "4.2.16"\n');
    await writeFile(path.join(repo, 'backend/manage.py'), '');
    await writeFile(path.join(repo, 'backend/config/settings/base.py'), 'ENGINE = "django.db.backends.mysql"\n');
    expect(await detectDjangoVersion(path.join(repo, 'backend'))).toBe('4.2');
    expect(await detectDatabase(path.join(repo, 'backend'))).toBe('mysql');
  });

  it('answers null when nothing says', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'bg-env-'));
    made.push(root);
    await mkdir(path.join(root, '.git'));
    expect(await detectDjangoVersion(root)).toBeNull();
    expect(await detectDatabase(root)).toBeNull();
  });

  it('reads requirements/*.txt', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'bg-env-'));
    made.push(root);
    await mkdir(path.join(root, '.git'));
    await mkdir(path.join(root, 'requirements'));
    await writeFile(path.join(root, 'requirements/base.txt'), 'Django~=5.1.4\n');
    expect(await detectDjangoVersion(root)).toBe('5.1');
  });
});
