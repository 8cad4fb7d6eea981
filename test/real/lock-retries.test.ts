/**
 * Lock retries, measured on GENERATED migrations: bg-scaffold generates a change on a copy of
 * examples/shop with --lock-timeout/--lock-retries (or the project's [tool.bg-scaffold] settings),
 * another session holds a conflicting lock (a long
 * reader, as a report would), and `manage.py migrate` runs while the previous release writes through
 * its own ORM (test/real/contention.py).
 *
 * Without lock_timeout, the migration's ALTER TABLE queues behind the reader and every write queues
 * behind the ALTER: the writers stall for the reader's whole duration. A step first waits out a
 * transaction that holds its table (without queueing: writers do not notice), for as long as its
 * tries could take; after that, each try under lock_timeout stalls writers for about one timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  copyProject,
  ensureDjangoEnv,
  PROVISION_TIMEOUT_MS,
  REAL_STACK_TIMEOUT_MS,
  repoRoot,
  requireRealStack,
  runManage,
  runManageChecked,
  sharedPostgres,
  shopExampleDir,
  uniqueDatabaseName,
  type DjangoEnv,
  type PgServer,
} from '../harness/index.js';

const CONTENTION = path.join(repoRoot(), 'test', 'real', 'contention.py');
const READER_SECONDS = 4;
/**
 * The generated release renames the model field; switching the rest of the application (the admin's
 * list_display, say) is the developer's part of the release and not what this test is about.
 */
const MIGRATE = ['migrate', 'shop', '--no-input', '--skip-checks'];

const stack = requireRealStack({ django: ['5.2'] });

describe.skipIf(stack === 'skip')('lock retries in generated migrations, on real PostgreSQL', () => {
  let pg: PgServer;
  let env: DjangoEnv;
  let work: string;
  /** The previous release: the example as it is, writing "quantity". */
  let previousRelease: string;

  beforeAll(async () => {
    [pg, env] = await Promise.all([sharedPostgres(), ensureDjangoEnv('5.2')]);
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-lock-retries-'));
    previousRelease = path.join(work, 'release-0');
    await copyProject(shopExampleDir(), previousRelease);
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** Generates the trigger rename through the command line, with these flags and files added to the project. */
  async function generate(name: string, lockArgs: string[], files: Record<string, string> = {}): Promise<string> {
    const project = path.join(work, name);
    await copyProject(shopExampleDir(), project);
    for (const [file, text] of Object.entries(files)) await fs.writeFile(path.join(project, file), text);
    let stderr = '';
    const code = await main(
      ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'trigger', ...lockArgs, '--project', project, '--yes'],
      { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) }, isTTY: false, env: {} },
    );
    expect(code, stderr).toBe(0);
    return project;
  }

  /** A database at the starting schema (0003) with a few orders, as the previous release left it. */
  async function startingDatabase(label: string): Promise<string> {
    const db = uniqueDatabaseName(label);
    await pg.createDatabase(db);
    await runManageChecked(env, previousRelease, ['migrate', '--no-input'], { databaseUrl: pg.url(db) });
    await pg.query(
      db,
      `INSERT INTO shop_customer (email, name, created_at) VALUES ('a@example.com', 'A', now());
       INSERT INTO shop_product (sku, name, price, active) VALUES ('SKU1', 'Thing', 9.99, true);
       INSERT INTO shop_order (customer_id, product_id, quantity, reference, status, note, placed_at)
         SELECT 1, 1, i % 10 + 1, 'R' || i, 'new', '', now() FROM generate_series(1, 500) i`,
    );
    return db;
  }

  /**
   * Runs migrate while a reader holds shop_order and the previous release writes. The reader lets go
   * `holdAfter` seconds after migrate's output first matches `release` (or when migrate ends), so
   * the test follows what the migration does, not the clock: on a busy machine Django may take
   * longer to start than any fixed hold.
   */
  async function migrateUnderContention(project: string, db: string, reader: { release: RegExp | null; holdAfter: number }) {
    const url = pg.url(db);
    const stopFile = path.join(work, `stop-${db}`);
    const releaseFile = path.join(work, `release-${db}`);
    const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
    delete childEnv.DJANGO_SETTINGS_MODULE;
    const writer = startPython(env, [CONTENTION, 'write', '--project', previousRelease, '--stop-file', stopFile], childEnv);
    await writer.line('writing');
    const holder = startPython(env, [CONTENTION, 'hold', '--table', 'shop_order', '--until-file', releaseFile], childEnv);
    await holder.line('holding');
    const started = Date.now();
    let scheduled = false;
    const letGo = () => writeFileSync(releaseFile, '');
    const migrate = await runStreaming(env, project, MIGRATE, childEnv, (output) => {
      if (reader.release && !scheduled && reader.release.test(output)) {
        scheduled = true;
        setTimeout(letGo, reader.holdAfter * 1000);
      }
    });
    const seconds = (Date.now() - started) / 1000;
    letGo();
    await holder.done;
    await new Promise((resolve) => setTimeout(resolve, 300)); // the writer writes on after the reader
    await fs.writeFile(stopFile, '');
    const written = JSON.parse((await writer.done).trim().split('\n').pop()!) as { writes: number; worst: number; errors: string[] };
    return { migrate, seconds, written };
  }

  function columns(db: string): Promise<string> {
    return pg.query(db, "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'shop_order'");
  }

  it(
    'a step that finds a long reader holding its table waits it out without queueing: writers do not stall behind the ALTER (default settings)',
    async () => {
      const project = await generate('waits', []);
      const db = await startingDatabase('lock_wait');
      try {
        const { migrate, seconds, written } = await migrateUnderContention(project, db, { release: /waiting for pid \d+/, holdAfter: READER_SECONDS });
        expect(migrate.code, migrate.stderr).toBe(0);
        expect(migrate.stderr).toMatch(/^bg-scaffold: .*: waiting for pid \d+ to end its transaction on shop_order \(open \d+\.\ds: 'SELECT 1 FROM "shop_order"/m);
        expect(migrate.stderr).not.toContain('no lock in');
        expect(seconds).toBeGreaterThan(READER_SECONDS - 0.5);
        expect(written.errors).toEqual([]);
        // Queued behind the reader, the ALTER would have held every write for lock_timeout (1 s).
        expect(written.worst, `worst write ${written.worst.toFixed(3)} s`).toBeLessThan(0.5);
        expect(await columns(db)).toContain('qty');
      } finally {
        await pg.dropDatabase(db);
      }
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    'a step blocked by a reader for longer than its tries could take stops waiting, retries under lock_timeout printing each retry, and succeeds; writers stall about one lock_timeout',
    async () => {
      // 7 tries of 100 ms with backoffs 0.1 … 3.2 s: 7 s of waiting, then up to 7 s of tries.
      const project = await generate('retries', ['--lock-timeout', '100ms', '--lock-retries', '7']);
      const migration = readFileSync(path.join(project, 'shop', 'migrations', '0004_order_qty_expand.py'), 'utf8');
      expect(migration).toContain('lock_timeout="100ms"');
      expect(migration).toContain('retries=7');
      const db = await startingDatabase('lock_retry_ok');
      try {
        // The reader outlasts the wait and two timed-out tries, then lets go.
        const { migrate, seconds, written } = await migrateUnderContention(project, db, { release: /no lock in 100ms \(try 2\/7\)/, holdAfter: 0.2 });
        expect(migrate.code, migrate.stderr).toBe(0);
        expect(migrate.stdout).toMatch(/Applying shop\.0004_order_qty_expand\.\.\. OK/);
        expect(migrate.stderr).toMatch(/still holds shop_order, trying under lock_timeout/);
        // Then timed-out tries, each printed with its backoff.
        const retries = migrate.stderr.match(/^bg-scaffold: .*: no lock in 100ms \(try \d+\/7\), wait \d+\.\ds$/gm) ?? [];
        expect(retries.length, migrate.stderr).toBeGreaterThanOrEqual(2);
        expect(retries[0]).toContain('(try 1/7)');
        expect(seconds).toBeGreaterThan(5); // the wait it gave the reader, then the tries
        // The serving code never failed, and its worst write waited about one try, not the reader.
        expect(written.errors).toEqual([]);
        expect(written.writes).toBeGreaterThan(50);
        expect(written.worst, `worst write ${written.worst.toFixed(3)} s`).toBeLessThan(1.5);
        expect(await columns(db)).toContain('qty');
        const values = await pg.query(db, 'SELECT count(*) FROM shop_order WHERE qty IS DISTINCT FROM quantity');
        expect(values.trim()).toBe('0');
      } finally {
        await pg.dropDatabase(db);
      }
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    'a step blocked longer than all its tries (settings from the project config) fails with a message that says what to do, and the schema stays as it was; migrate again then finishes',
    async () => {
      const config = { 'pyproject.toml': '[tool.bg-scaffold]\nlock_timeout = "100ms"\nlock_retries = 3\n' };
      const project = await generate('gives-up', [], config);
      const migration = readFileSync(path.join(project, 'shop', 'migrations', '0004_order_qty_expand.py'), 'utf8');
      expect(migration.match(/lock_timeout="100ms",\s+retries=3\b/g)?.length).toBeGreaterThanOrEqual(3);
      expect(migration).not.toContain('lock_timeout="1s"');
      const db = await startingDatabase('lock_retry_fail');
      try {
        const before = await columns(db);
        // The reader holds until migrate has given up.
        const { migrate, written } = await migrateUnderContention(project, db, { release: null, holdAfter: 0 });
        expect(migrate.code).not.toBe(0);
        const output = migrate.stderr + migrate.stdout;
        expect(output).toContain('no lock within lock_timeout 100ms, 3 times');
        expect(output).toContain('pg_stat_activity');
        expect(output).toContain('run migrate again');
        expect(output).toMatch(/still holds shop_order, trying under lock_timeout/);
        expect(output).toMatch(/no lock in 100ms \(try 2\/3\)/);
        expect(written.errors).toEqual([]);
        // Nothing of phase 1 is there: no column, no trigger, no function, no migration recorded.
        expect(await columns(db)).toBe(before);
        const trigger = await pg.query(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'bg_sync_%'");
        const fn = await pg.query(db, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'bg_sync_%'");
        const recorded = await pg.query(db, "SELECT count(*) FROM django_migrations WHERE app = 'shop' AND name LIKE '0004_%'");
        expect([trigger.trim(), fn.trim(), recorded.trim()]).toEqual(['0', '0', '0']);
        // Once the reader is gone, running migrate again finishes the job.
        await runManageChecked(env, project, MIGRATE, { databaseUrl: pg.url(db) });
        expect(await columns(db)).toContain('qty');
      } finally {
        await pg.dropDatabase(db);
      }
    },
    REAL_STACK_TIMEOUT_MS,
  );
});

interface PythonProcess {
  /** Resolves when the process prints this line. */
  line(text: string): Promise<void>;
  /** Resolves with stdout when it exits 0; rejects with its output otherwise. */
  done: Promise<string>;
}

/** manage.py in `project`, calling `onOutput` with everything printed so far whenever it prints. */
function runStreaming(env: DjangoEnv, project: string, args: string[], childEnv: NodeJS.ProcessEnv, onOutput: (output: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(env.python, ['manage.py', ...args], { cwd: project, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), REAL_STACK_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onOutput(stderr + stdout);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      onOutput(stderr + stdout);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function startPython(env: DjangoEnv, args: string[], childEnv: NodeJS.ProcessEnv): PythonProcess {
  const child: ChildProcess = spawn(env.python, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let closed = false;
  const waiting: Array<{ text: string; resolve: () => void; reject: (error: Error) => void }> = [];
  const printed = (text: string) => stdout.split('\n').includes(text);
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiting.filter((w) => printed(w.text))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), REAL_STACK_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error(`${args[1]} ended before printing "${w.text}":\n${stderr || stdout}`));
      if (code === 0) resolve(stdout);
      else reject(new Error(`${args.slice(0, 2).join(' ')} exited ${code}:\n${stderr || stdout}`));
    });
  });
  done.catch(() => {}); // awaited by the test; a failure before that surfaces through line()
  return {
    line: (text) =>
      new Promise<void>((resolve, reject) => {
        if (printed(text)) resolve();
        else if (closed) reject(new Error(`${args[1]} ended before printing "${text}":\n${stderr || stdout}`));
        else waiting.push({ text, resolve, reject });
      }),
    done,
  };
}
