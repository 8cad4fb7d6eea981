/**
 * One release's code as a long-lived process: python/bg_scaffold_verify.py `serve` in a copy of the
 * tree as it stands at that release, with Django set up once. The engine sends it JSON commands (the
 * ORM checks, the writers, manage.py commands) one at a time; each answer is one JSON line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import type { ReferenceLeft } from './engine.js';

const DRIVER = path.join(packageRoot(), 'python', 'bg_scaffold_verify.py');

/** Only a hang reaches this: a phase of a big table may migrate for many minutes. */
const NO_ANSWER_MS = 30 * 60_000;

/** A manage.py command's exit code and output. */
export interface ManageResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How to start a release's code: its interpreter, tree, settings and the scratch database. */
export interface ReleaseCode {
  python: string;
  tree: string;
  databaseUrl: string;
  /** `app_label.Model`: the model the checks write. */
  target: string;
  /** DJANGO_SETTINGS_MODULE; null: the one manage.py names. */
  settings: string | null;
  /** A Python file of the project's own hooks (bg_scaffold_verify.load_extension). */
  extension?: string;
  /**
   * `low:high`: integers this release writes stay within it, a quarter of them near its ends (the
   * old type's range of a type change, so that a rollback can take them back).
   */
  integerRange?: string;
}

export interface DriverResult {
  ops?: number;
  /** Per row key, the value written (numbers, text; dates and UUIDs as text). */
  written?: Record<string, unknown>;
  /** seed: the keys of the rows the concurrent writers share. */
  shared?: Array<string | number>;
  /** seed: the rows no writer touches, with the value each was given. */
  before?: Record<string, unknown>;
  errors: Array<{ op: string; error: string }>;
  mismatchCount?: number;
  mismatches?: Array<{ pk: string | number; expected: unknown; got: unknown }>;
  checked?: number;
}

/** An answer: the ORM commands' results, manage's exit code and output, load-start's `started`. */
export type Answer = DriverResult & {
  code?: number;
  stdout?: string;
  stderr?: string;
  ready?: boolean;
  /** The ready line: Django's version. */
  django?: string;
  started?: boolean;
  /** This release's code has no target model; `detail` says so. */
  absent?: boolean;
  detail?: string;
  /** describe: the fields a check can write, best first, and the model's foreign keys. */
  fields?: string[];
  relations?: ReferenceLeft[];
};

interface Pending {
  op: string;
  resolve: (answer: Answer) => void;
}

/** stderr kept for a crash report: the last this many characters. */
const STDERR_KEPT = 20_000;

export class ReleaseServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private buffer = '';
  private stderr = '';
  private exit: string | null = null;
  private closing: Promise<void> | undefined;
  /** Resolves once Django has started (or failed to: then every answer carries the reason). */
  readonly ready: Promise<Answer>;

  readonly tree: string;

  constructor(code: ReleaseCode) {
    this.tree = code.tree;
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      BG_VERIFY_DATABASE_URL: code.databaseUrl,
      BG_VERIFY_TARGET: code.target,
    };
    delete childEnv.DJANGO_SETTINGS_MODULE;
    // For settings that read it; the engine puts the URL into DATABASES["default"] in any case. A
    // SQLite file is left to that alone: settings that parse DATABASE_URL may take only servers.
    delete childEnv.DATABASE_URL;
    if (code.databaseUrl.startsWith('postgres')) childEnv.DATABASE_URL = code.databaseUrl;
    delete childEnv.BG_VERIFY_EXTENSION;
    if (code.settings) childEnv.DJANGO_SETTINGS_MODULE = code.settings;
    if (code.extension) childEnv.BG_VERIFY_EXTENSION = code.extension;
    delete childEnv.BG_VERIFY_INTEGER_RANGE;
    if (code.integerRange) childEnv.BG_VERIFY_INTEGER_RANGE = code.integerRange;
    this.child = spawn(code.python, [DRIVER, '--project', code.tree, 'serve'], { cwd: code.tree, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    this.ready = new Promise((resolve) => this.pending.push({ op: 'django.setup', resolve }));
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        const waiting = this.pending.shift();
        if (!waiting) continue;
        try {
          waiting.resolve(JSON.parse(line) as Answer);
        } catch {
          waiting.resolve(this.crashed(waiting.op, `unreadable answer: ${line.slice(0, 200)}`));
        }
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEPT);
    });
    this.child.stdin.on('error', () => {}); // a server that died: its answers say so
    const ended = (why: string) => {
      if (this.exit !== null) return;
      this.exit = why;
      for (const waiting of this.pending.splice(0)) waiting.resolve(this.crashed(waiting.op));
    };
    this.child.on('error', (error) => ended(`cannot start: ${error.message}`));
    this.child.on('close', (code, signal) => ended(`exit ${code ?? signal}`));
  }

  /** Sends a command; the answer never rejects: a crash or a hang comes back as the command's error. */
  async request(command: string, args: Record<string, unknown> = {}): Promise<Answer> {
    if (this.exit !== null) return this.crashed(command);
    const answer = new Promise<Answer>((resolve) => this.pending.push({ op: command, resolve }));
    this.child.stdin.write(JSON.stringify({ command, ...args }) + '\n');
    // Only a hang reaches this limit; the server is no use after it.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<Answer>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve(this.crashed(command, `no answer after ${NO_ANSWER_MS / 60_000} minutes`));
      }, NO_ANSWER_MS);
    });
    try {
      return await Promise.race([answer, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A manage.py command in the server's process (system checks included, as manage.py runs them). */
  async manage(args: string[]): Promise<ManageResult> {
    const answer = await this.request('manage', { args });
    if (answer.code === undefined) {
      return { code: null, stdout: '', stderr: answer.errors.map((e) => `${e.op}: ${e.error}`).join('\n') };
    }
    return { code: answer.code, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
  }

  /** Ends the server (a writer still running is stopped first) and waits for it to exit; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.exit !== null) return;
      const exited = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
      this.child.stdin.end(JSON.stringify({ command: 'quit' }) + '\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), NO_ANSWER_MS);
      await exited;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private crashed(op: string, why?: string): Answer {
    const lines = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return { errors: [{ op, error: `driver crashed (${why ?? this.exit ?? 'no answer'}): ${lines}` }] };
  }
}
