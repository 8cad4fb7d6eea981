/**
 * Discovery: reads a Django project from disk into ProjectFacts (apps, models, fields, migration
 * graph, Django version, database). Read-only; every problem a user can fix is a one-line
 * BgScaffoldError.
 */
import type { Dirent } from 'node:fs';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BgScaffoldError, fail } from '../errors.js';
import { bodyStatements, assignmentOf, lastNamePart, moduleClasses, stringValue } from '../python/edit.js';
import { assertParses, loadPythonParser } from '../python/parser.js';
import { readProjectConfig } from './config.js';
import { detectDatabase, detectDjangoVersion } from './environment.js';
import { migrationLeaves, nextMigrationNumber, readMigration } from './migrations.js';
import { readClasses, resolveModels, type ClassSyntax } from './models.js';
import { appModelsFromRegistry, databaseOfRegistry, externalModelsFromRegistry, type SourceReader } from './from-django.js';
import { introspectDjango, type DjangoRegistry, type DjangoRuntimeChoice } from './introspect.js';
import type { DjangoApp, DjangoField, DjangoModel, MigrationInfo, ProjectFacts } from './types.js';

/** Folders that never hold the project's own apps. Dot-folders (`.git`, `.venv*`, `.bg-scaffold`) are skipped too. */
const SKIPPED_DIRS = new Set(['node_modules', 'venv', '__pycache__', 'site-packages']);

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch {
    return [];
  }
}

/** Folders below the root that are Django apps: models (module or package) and a migrations package. */
async function findAppDirs(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await entriesOf(dir);
    const names = new Set(entries.map((entry) => entry.name));
    if (names.has('pyvenv.cfg')) return; // a virtualenv, whatever its name
    if (dir !== root) {
      const hasModels =
        entries.some((entry) => entry.isFile() && entry.name === 'models.py') ||
        (await exists(path.join(dir, 'models', '__init__.py')));
      const hasMigrations = await exists(path.join(dir, 'migrations', '__init__.py'));
      if (hasModels && hasMigrations) found.push(dir);
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
      if (entry.name === 'migrations') continue;
      await walk(path.join(dir, entry.name));
    }
  };
  await walk(root);
  return found;
}

async function pythonFilesIn(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await entriesOf(dir)) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.py')) files.push(full);
    else if (entry.isDirectory() && entry.name !== '__pycache__' && (await exists(path.join(full, '__init__.py')))) {
      files.push(...(await pythonFilesIn(full)));
    }
  }
  // __init__.py first, then the modules in name order.
  return files.sort(
    (a, b) =>
      Number(path.basename(b) === '__init__.py') - Number(path.basename(a) === '__init__.py') || (a < b ? -1 : 1),
  );
}

/** `label` and `name` of the first AppConfig subclass in `apps.py`. */
function readAppConfig(source: string, file: string): { label: string | null; name: string | null } {
  const tree = assertParses(source, file);
  for (const cls of moduleClasses(tree.rootNode)) {
    const superclasses = cls.childForFieldName('superclasses');
    if (!superclasses || !superclasses.namedChildren.some((base) => lastNamePart(base.text) === 'AppConfig')) continue;
    const config: { label: string | null; name: string | null } = { label: null, name: null };
    for (const statement of bodyStatements(cls)) {
      const assignment = assignmentOf(statement);
      const target = assignment?.childForFieldName('left')?.text;
      const value = assignment?.childForFieldName('right');
      if (value && (target === 'label' || target === 'name')) config[target] = stringValue(value);
    }
    return config;
  }
  return { label: null, name: null };
}

async function modelFilesOf(dir: string): Promise<string[]> {
  return (await exists(path.join(dir, 'models.py'))) ? [path.join(dir, 'models.py')] : await pythonFilesIn(path.join(dir, 'models'));
}

/** The migrations of an app folder, read from its `migrations` package. */
async function readMigrations(root: string, dir: string, label: string) {
  const relative = (file: string) => toPosix(path.relative(root, file));
  const migrationsDir = path.join(dir, 'migrations');
  const migrations: MigrationInfo[] = [];
  for (const entry of await entriesOf(migrationsDir)) {
    if (!entry.isFile() || !entry.name.endsWith('.py') || entry.name.startsWith('_')) continue;
    const file = path.join(migrationsDir, entry.name);
    const tree = assertParses(await readFile(file, 'utf8'), relative(file));
    migrations.push(readMigration(tree, entry.name.slice(0, -3), relative(file)));
  }
  const leaves = migrationLeaves(label, migrations);
  return {
    migrationsDir: relative(migrationsDir),
    migrations,
    // With several leaves there is no single one to depend on: null here, and requireSingleLeaf says why.
    leaf: leaves.length === 1 ? leaves[0]! : null,
    leaves,
    nextNumber: nextMigrationNumber(migrations),
  };
}

/** An app as read from the source, its model classes not yet resolved against the other apps'. */
type AppSyntax = Omit<DjangoApp, 'models'> & { classes: ClassSyntax[] };

async function readApp(root: string, dir: string): Promise<AppSyntax> {
  const relativeDir = toPosix(path.relative(root, dir));
  const relative = (file: string) => toPosix(path.relative(root, file));

  let module = relativeDir.split('/').join('.');
  let label = module.split('.').pop()!;
  const appsFile = path.join(dir, 'apps.py');
  if (await exists(appsFile)) {
    const config = readAppConfig(await readFile(appsFile, 'utf8'), relative(appsFile));
    if (config.name) module = config.name;
    label = config.label ?? module.split('.').pop()!;
  }

  const modelFiles = await modelFilesOf(dir);
  const classes: ClassSyntax[] = [];
  for (const file of modelFiles) {
    const source = await readFile(file, 'utf8');
    classes.push(...readClasses(source, assertParses(source, relative(file)), relative(file)));
  }
  return {
    label,
    module,
    dir: relativeDir,
    modelFiles: modelFiles.map(relative),
    ...(await readMigrations(root, dir, label)),
    classes,
  };
}

/** Models of each app, with bases (abstract or not) that other apps of the project declare. */
function resolveApps(read: AppSyntax[]): DjangoApp[] {
  return read.map(({ classes, ...app }, index) => ({
    ...app,
    models: resolveModels(classes, app.label, read.filter((_, other) => other !== index).flatMap((other) => other.classes)).map((model) => ({
      ...model,
      pkColumn: model.fields.find((f) => f.primaryKey)?.column ?? 'id',
    })),
  }));
}

/** Reads project files for from-django.ts, each once; syntax errors are the caller's to raise. */
function sourceReader(root: string): SourceReader {
  const texts = new Map<string, string | null>();
  return (relative) => {
    if (!texts.has(relative)) {
      try {
        texts.set(relative, readFileSync(path.join(root, relative), 'utf8'));
      } catch {
        texts.set(relative, null);
      }
    }
    return texts.get(relative)!;
  };
}

/** The project's apps as Django's registry has them, with migrations and syntax read from the tree. */
async function appsFromRegistry(root: string, registry: DjangoRegistry): Promise<DjangoApp[]> {
  const read = sourceReader(root);
  const apps: DjangoApp[] = [];
  for (const app of registry.apps) {
    if (!app.inProject || !app.path) continue;
    const dir = app.path;
    const modelFiles = (await modelFilesOf(dir)).map((file) => toPosix(path.relative(root, file)));
    apps.push({
      label: app.label,
      module: app.name,
      dir: toPosix(path.relative(root, dir)),
      modelFiles,
      ...(await readMigrations(root, dir, app.label)),
      models: appModelsFromRegistry(root, registry, app.label, modelFiles, read),
    });
  }
  return apps;
}

/**
 * Why the last discovery read the source without Django (null when Django answered, or was not to
 * be asked): a lookup that fails then says so, since Django might have known the name.
 */
let staticReason: string | null = null;

function withoutDjango(message: string): string {
  return staticReason ? `${message}; bg-scaffold ${staticReason}` : message;
}

export interface DiscoverOptions extends DjangoRuntimeChoice {
  /** Read the source only, without asking Django (tests, and `--static`). */
  static?: boolean;
}

/**
 * Reads the Django project whose `manage.py` is in `root`: from Django's own app registry when the
 * project's interpreter can load its settings, else statically from the source (and says so).
 */
export async function discoverProject(root: string, options: DiscoverOptions = {}): Promise<ProjectFacts> {
  const absolute = path.resolve(root);
  if (!(await exists(path.join(absolute, 'manage.py')))) {
    throw new BgScaffoldError(`no manage.py in ${absolute}; pass --project pointing at your Django project`);
  }
  await loadPythonParser();
  const staticDatabase = detectDatabase(absolute);
  staticReason = null;
  const config = readProjectConfig(absolute);
  const introspection = options.static
    ? null
    : await introspectDjango(absolute, { python: options.python ?? config.python, settings: options.settings ?? config.settings });
  if (introspection?.ok) {
    const { registry, cached, runtime } = introspection;
    const apps = await appsFromRegistry(absolute, registry);
    apps.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    const loaded = databaseOfRegistry(registry);
    const fromSource = await staticDatabase;
    // Settings that fall back to SQLite when DATABASE_URL is unset still name the server they run on.
    const database = loaded === 'sqlite' && fromSource && fromSource !== 'sqlite' ? fromSource : (loaded ?? fromSource);
    const databaseNote = database !== loaded ? `; settings load ${loaded ?? 'no database'} here, planning for ${database} (--database to choose)` : '';
    return {
      root: absolute,
      apps,
      djangoVersion: registry.django.split('.').slice(0, 2).join('.'),
      database,
      discovery: {
        source: 'django',
        note: `read the project through Django ${registry.django} (${runtime.python}, settings ${registry.settings})${cached ? ', cached' : ''}${databaseNote}`,
        djangoVersion: registry.django,
        cached,
      },
      externalModels: externalModelsFromRegistry(absolute, registry),
      templateDirs: registry.templateDirs ?? [],
    };
  }
  const read: AppSyntax[] = [];
  for (const dir of await findAppDirs(absolute)) read.push(await readApp(absolute, dir));
  const apps = resolveApps(read);
  apps.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const [djangoVersion, database] = await Promise.all([detectDjangoVersion(absolute), staticDatabase]);
  // Asked not to ask Django (--no-django): nothing to say.
  const note = introspection ? `read models.py files without Django (${introspection.reason})` : '';
  staticReason = note || null;
  return {
    root: absolute,
    apps,
    djangoVersion,
    database,
    discovery: { source: 'static', note, djangoVersion: null, cached: false },
    externalModels: [],
  };
}

/**
 * The project's apps and, when Django was asked, the installed apps outside it (contrib, packages):
 * what relations point at and come from. Only the project's apps can be changed.
 */
export function appsWithInstalled(facts: ProjectFacts): DjangoApp[] {
  const installed = new Map<string, DjangoApp>();
  for (const { appLabel, model } of facts.externalModels) {
    if (facts.apps.some((app) => app.label === appLabel)) continue;
    let app = installed.get(appLabel);
    if (!app) {
      app = { label: appLabel, module: appLabel, dir: '', modelFiles: [], migrationsDir: '', migrations: [], leaf: null, leaves: [], nextNumber: 1, models: [] };
      installed.set(appLabel, app);
    }
    app.models.push(model);
  }
  return [...facts.apps, ...installed.values()];
}

// ---- lookups with messages a user can act on --------------------------------------------------

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** ` (did you mean "Order"?)` when a known name is close to what was typed. */
function suggestion(wanted: string, known: string[]): string {
  const close = known
    .map((name) => ({
      name,
      cost: name.toLowerCase() === wanted.toLowerCase() ? 0 : distance(wanted.toLowerCase(), name.toLowerCase()),
    }))
    .filter(({ cost }) => cost <= Math.max(1, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.cost - b.cost)[0];
  return close ? ` (did you mean "${close.name}"?)` : '';
}

function listing(names: string[], limit = 20): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown}, ... (${names.length - limit} more)` : shown;
}

export function findApp(facts: ProjectFacts, label: string): DjangoApp {
  const app = facts.apps.find((candidate) => candidate.label === label);
  if (app) return app;
  const labels = facts.apps.map((candidate) => candidate.label);
  throw new BgScaffoldError(withoutDjango(`unknown app "${label}"${suggestion(label, labels)}; apps: ${listing(labels)}`));
}

export function findModel(app: DjangoApp, name: string): DjangoModel {
  const model = app.models.find((candidate) => candidate.name === name);
  if (model && model.file === '' && model.django) {
    // A forked app may keep some of its models in the package it forked (`from oscar... import *`).
    fail(`${app.label}.${name} is defined in ${model.django.module}, outside the project; bg-scaffold changes only the project's own files`);
  }
  if (model) return model;
  const names = app.models.map((candidate) => candidate.name).sort();
  throw new BgScaffoldError(withoutDjango(`unknown model "${name}" in app "${app.label}"${suggestion(name, names)}; models: ${listing(names)}`));
}

/**
 * The field named `name` of a model. DjangoModel does not carry its app label: pass it for the
 * message (`shop.Order`), or it is read back from a default table name when it can be.
 */
export function findField(model: DjangoModel, name: string, appLabel?: string): DjangoField {
  const field = model.fields.find((candidate) => candidate.name === name);
  if (field) return field;
  if (model.django?.autoPk?.name === name) {
    fail(`${model.name}.${name} is the primary key Django adds; bg-scaffold does not rename or remove primary keys`);
  }
  if (model.django?.proxy) {
    // Its fields are its concrete model's, in that model's table.
    fail(`${model.name} is a proxy model and has no table of its own; change ${model.bases.map((base) => base.split('.').pop()).join(', ')} instead`);
  }
  const names = model.fields.map((candidate) => candidate.name);
  const defaultSuffix = `_${model.name.toLowerCase()}`;
  const label =
    appLabel ?? (model.dbTable.endsWith(defaultSuffix) ? model.dbTable.slice(0, -defaultSuffix.length) : null);
  const where = label ? `${label}.${model.name}` : model.name;
  throw new BgScaffoldError(withoutDjango(`unknown field "${name}" on ${where}${suggestion(name, names)}; fields: ${listing(names)}`));
}

/** The app's single leaf migration (null when it has none); several leaves need a merge first. */
export function requireSingleLeaf(app: DjangoApp): string | null {
  if (app.leaves.length > 1) {
    throw new BgScaffoldError(
      `app "${app.label}" has ${app.leaves.length} leaf migrations (${app.leaves.join(', ')}); run "python manage.py makemigrations --merge ${app.label}" first`,
    );
  }
  return app.leaves[0] ?? null;
}
