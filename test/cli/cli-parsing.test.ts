import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Choice, Prompter } from '../../src/cli/interactive.js';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageOperation } from '../../src/operations/operation.js';
import { renameColumn } from '../../src/operations/rename-column/operation.js';
import type { StagedChange } from '../../src/commands/types.js';
import { BgScaffoldError } from '../../src/errors.js';
import type { ChangePlan } from '../../src/operations/shared/types.js';
import { discoverProject } from '../../src/project/discover.js';
import type { ProjectFacts } from '../../src/project/types.js';
import { StagedTree } from '../../src/stage/staged-tree.js';
import { field, orderModel, shopApp } from '../support/plan-fixtures.js';
import { runMain } from './in-process.js';
import { snapshotTree } from './snapshot-tree.js';

vi.mock('../../src/operations/operation.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/operations/operation.js')>()),
  stageOperation: vi.fn(),
}));
vi.mock('../../src/commands/advance.js', () => ({ stageAdvance: vi.fn() }));
vi.mock('../../src/project/discover.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/project/discover.js')>()),
  discoverProject: vi.fn(),
}));

let project: string;

const FULL = ['--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty'];

/** What the command layer would stage: phase 1 of a two-phase rename, on a real StagedTree. */
function stagedRename(root: string, overrides: Partial<StagedChange> = {}): StagedChange {
  const stage = new StagedTree(root);
  stage.write('shop/models.py', 'class Order(models.Model):\n    qty = models.IntegerField()\n');
  stage.create('shop/migrations/0002_order_qty_expand.py', '# phase 1/2\n');
  const plan = {
    change: 'order-quantity-to-qty',
    op: 'rename-column',
    strategy: 'trigger',
    phases: [{ number: 1 }, { number: 2 }],
  } as unknown as ChangePlan;
  return {
    plan,
    phase: 1,
    stage,
    warnings: [],
    nextSteps: ['after release 1 is fully rolled out: bg-scaffold advance order-quantity-to-qty'],
    ...overrides,
  };
}

function facts(): ProjectFacts {
  const order = orderModel([
    field('id', 'BigAutoField', { primary_key: 'True' }),
    field('quantity', 'IntegerField'),
    field('reference', 'CharField', { max_length: '20', unique: 'True', db_column: '"ref"' }),
  ]);
  const base = { ...orderModel([field('created', 'DateTimeField')]), name: 'TimeStamped', abstract: true };
  const customer = { ...orderModel([field('name', 'CharField', { max_length: '50' })]), name: 'Customer' };
  const billing = { ...shopApp([{ ...customer, name: 'Invoice' }]), label: 'billing', dir: 'billing' };
  return {
    root: project,
    apps: [billing, shopApp([base, order, customer])],
    djangoVersion: '5.2',
    database: 'postgresql',
    discovery: { source: 'static', note: 'read statically', djangoVersion: null, cached: false },
    externalModels: [],
  };
}

/** Answers questions in order, and records what was asked. */
class ScriptedPrompter implements Prompter {
  readonly asked: Array<{ kind: string; message: string; choices?: Choice<unknown>[]; default?: unknown }> = [];
  readonly validations: Array<(value: string) => true | string> = [];
  constructor(private readonly answers: unknown[]) {}

  private next<T>(kind: string, question: { message: string; choices?: Choice<T>[]; default?: unknown }): Promise<T> {
    this.asked.push({ kind, message: question.message, choices: question.choices as Choice<unknown>[], default: question.default });
    if (this.answers.length === 0) throw new Error(`unexpected question: ${question.message}`);
    return Promise.resolve(this.answers.shift() as T);
  }
  select<T>(q: { message: string; choices: Choice<T>[]; default?: T }) {
    return this.next<T>('select', q);
  }
  search<T>(q: { message: string; choices: Choice<T>[] }) {
    return this.next<T>('search', q);
  }
  input(q: { message: string; default?: string; validate?: (value: string) => true | string }) {
    if (q.validate) this.validations.push(q.validate);
    return this.next<string>('input', q);
  }
  confirm(q: { message: string; default?: boolean }) {
    return this.next<boolean>('confirm', q);
  }
}

/** A prompter that fails the test if anything is asked. */
const neverAsk: Prompter = {
  select: () => Promise.reject(new Error('prompted')),
  search: () => Promise.reject(new Error('prompted')),
  input: () => Promise.reject(new Error('prompted')),
  confirm: () => Promise.reject(new Error('prompted')),
};

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'bg-cli-'));
  mkdirSync(path.join(project, 'shop/migrations'), { recursive: true });
  writeFileSync(path.join(project, 'manage.py'), '');
  writeFileSync(path.join(project, 'shop/models.py'), 'class Order(models.Model):\n    quantity = models.IntegerField()\n');
  vi.mocked(stageOperation).mockReset().mockImplementation(async (_operation, _facts, req) => stagedRename(req.projectDir));
  vi.mocked(stageAdvance).mockReset();
  vi.mocked(discoverProject).mockReset().mockImplementation(async () => facts());
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('help and version', () => {
  // check, status, advance, templates and upgrade-runtime load only their own module; the rest load every command.
  it.each([[['--help']], [['rename-column', '--help']], [['advance', '--help']], [['help', 'rename-column']], [['check', '--help']], [['templates', 'list', '--help']]])(
    '%j prints usage on stdout and exits 0',
    async (args) => {
      const { code, stdout, stderr } = await runMain(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: bg-scaffold/);
      expect(stderr).toBe('');
    },
  );

  it('lists the commands and the exit codes', async () => {
    const { stdout } = await runMain(['--help']);
    expect(stdout).toContain('rename-column');
    expect(stdout).toContain('advance [options] [change]');
    expect(stdout).toContain('Exit codes: 0 done, 1 check failed, 2 bad input');
  });

  it('explains each rename strategy in one line', async () => {
    const { stdout } = await runMain(['rename-column', '--help']);
    expect(stdout).toMatch(/^ {2}db-column {2}one release: .+$/m);
    expect(stdout).toMatch(/^ {2}trigger {4}two releases: .+$/m);
    expect(stdout).toMatch(/^ {2}copy {7}three or four releases: .+$/m);
    for (const flag of ['--project', '--dry-run', '--yes', '--no-interactive', '--json', '--database', '--django-version', '--pack', '--lock-timeout', '--lock-retries', '--batch-size', '--change-id', '--phases']) {
      expect(stdout).toContain(flag);
    }
  });

  it.each([['--version'], ['-V']])('%s prints the version', async (flag) => {
    const { code, stdout } = await runMain([flag]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('without a command, shows the help on stderr and exits 2', async () => {
    const { code, stderr } = await runMain([]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^Usage: bg-scaffold/);
  });
});

describe('usage errors exit 2 with one line', () => {
  it.each([
    [['rename-column', '--frob'], /^bg-scaffold: unknown option '--frob'; see bg-scaffold rename-column --help\n$/],
    [['rename-column', '--too', 'qty'], /^bg-scaffold: unknown option '--too' \(Did you mean --to\?\); see bg-scaffold rename-column --help\n$/],
    [['frobnicate'], /^bg-scaffold: unknown command 'frobnicate'; see bg-scaffold --help\n$/],
    [['advance', 'one-change', 'another'], /^bg-scaffold: too many arguments for 'advance'/],
    [['rename-column', 'extra'], /^bg-scaffold: too many arguments for 'rename-column'/],
    [['rename-column', '--strategy', 'fast'], /argument 'fast' is invalid. Allowed choices are db-column, trigger, copy; see/],
    [['rename-column', '--phases', '2'], /argument '2' is invalid. Allowed choices are 3, 4;/],
    [['rename-column', '--database', 'oracle'], /argument 'oracle' is invalid/],
    [['rename-column', '--batch-size', '0'], /'--batch-size <n>' argument '0' is invalid. Expected a whole number of at least 1; see/],
    [['rename-column', '--lock-retries', 'many'], /'--lock-retries <n>' argument 'many' is invalid/],
    [['rename-column', '--lock-timeout', '1sec'], /'--lock-timeout <interval>' argument '1sec' is invalid. Expected an interval like 1s/],
    [['advance', 'c', '--django-version', '5'], /'--django-version <x.y>' argument '5' is invalid/],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await runMain(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
    expect(stageOperation).not.toHaveBeenCalled();
  });

  it('refuses a --project that is not a directory', async () => {
    const { code, stderr } = await runMain(['rename-column', ...FULL, '--project', path.join(project, 'nope')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^bg-scaffold: --project .*nope: no such directory/);
  });
});

describe('without a terminal', () => {
  it('names the missing flag and exits 2 without asking', async () => {
    const { code, stderr } = await runMain(['rename-column', '--project', project, '--app', 'shop', '--model', 'Order', '--field', 'quantity'], {
      prompter: neverAsk,
    });
    expect(code).toBe(2);
    expect(stderr).toBe('bg-scaffold: missing --to (the new field name); pass it or run in a terminal to be asked\n');
    expect(stageOperation).not.toHaveBeenCalled();
  });

  it('names every missing flag at once', async () => {
    const { stderr } = await runMain(['rename-column', '--project', project, '--model', 'Order'], { prompter: neverAsk });
    expect(stderr).toBe(
      'bg-scaffold: missing --app (the app label), --field (the field to rename) and --to (the new field name); pass them or run in a terminal to be asked\n',
    );
  });

  it.each([
    [['--yes'], {}, 'pass it, or drop --yes to be asked'],
    [['-y'], {}, 'pass it, or drop --yes to be asked'],
    [['--no-interactive'], {}, 'pass it, or drop --no-interactive to be asked'],
    [['--json'], {}, 'pass it (--json never asks)'],
    [[], { CI: 'true' }, 'pass it (CI is set, so nothing is asked)'],
  ])('in a terminal, %j %j turn the questions off', async (flags, env, hint) => {
    const args = ['rename-column', '--project', project, '--app', 'shop', '--model', 'Order', '--field', 'quantity', ...flags];
    const { code, stderr } = await runMain(args, { isTTY: true, env, prompter: neverAsk });
    expect(code).toBe(2);
    expect(stderr).toBe(`bg-scaffold: missing --to (the new field name); ${hint}\n`);
  });

  it('passes every flag to the command layer, parsed', async () => {
    const packs = path.join(project, 'packs');
    const { code } = await runMain(
      [
        'rename-column', ...FULL, '--project', project, '--strategy', 'copy', '--phases', '3', '--change-id', 'qty',
        '--database', 'mysql', '--django-version', '4.2', '--pack', 'packs/a', '--pack', 'packs/b',
        '--lock-timeout', '500ms', '--lock-retries', '3', '--batch-size', '500', '--python', '.venv/bin/python',
        '--settings', 'config.settings_prod', '--no-django', '--dry-run',
      ],
      { cwd: project },
    );
    expect(code).toBe(0);
    expect(stageOperation).toHaveBeenCalledWith(renameColumn, expect.anything(), {
      projectDir: project,
      app: 'shop',
      model: 'Order',
      field: 'quantity',
      to: 'qty',
      strategy: 'copy',
      phases: 3,
      changeId: 'qty',
      database: 'mysql',
      djangoVersion: '4.2',
      packs: [path.join(packs, 'a'), path.join(packs, 'b')],
      lockTimeout: '500ms',
      lockRetries: 3,
      batchSize: 500,
      python: '.venv/bin/python',
      settings: 'config.settings_prod',
      static: true,
    });
  });

  it('leaves the defaults to the playbook', async () => {
    await runMain(['rename-column', ...FULL], { cwd: project });
    expect(stageOperation).toHaveBeenCalledWith(renameColumn, expect.anything(), {
      projectDir: project,
      app: 'shop',
      model: 'Order',
      field: 'quantity',
      to: 'qty',
      strategy: undefined,
      phases: undefined,
      changeId: undefined,
      database: undefined,
      djangoVersion: undefined,
      packs: undefined,
      lockTimeout: undefined,
      lockRetries: undefined,
      batchSize: undefined,
      python: undefined,
      settings: undefined,
      static: false,
    });
  });
});

describe('output', () => {
  it('writes the files and lists them, warnings on stderr, then the next steps', async () => {
    vi.mocked(stageOperation).mockImplementation(async (_operation, _facts, req) =>
      stagedRename(req.projectDir, { warnings: ['blue reads stale values during the switch'] }),
    );
    const { code, stdout, stderr } = await runMain(['rename-column', ...FULL, '--project', project]);
    expect(code).toBe(0);
    expect(stderr).toBe('warning: blue reads stale values during the switch\n');
    expect(stdout).toBe(
      [
        'create shop/migrations/0002_order_qty_expand.py',
        'modify shop/models.py',
        '',
        'Next steps:',
        '  - after release 1 is fully rolled out: bg-scaffold advance order-quantity-to-qty',
        '',
      ].join('\n'),
    );
    expect(snapshotTree(project).has('shop/migrations/0002_order_qty_expand.py')).toBe(true);
  });

  it('--dry-run prints the diff and writes nothing', async () => {
    const before = snapshotTree(project);
    const { code, stdout, stderr } = await runMain(['rename-column', ...FULL, '--project', project, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toContain('diff --git a/shop/models.py b/shop/models.py\n');
    expect(stdout).toContain('+++ b/shop/migrations/0002_order_qty_expand.py\n');
    expect(stdout).toContain('-    quantity = models.IntegerField()\n+    qty = models.IntegerField()\n');
    expect(stderr).toBe('dry run: nothing was written (2 files would change)\n');
    expect(snapshotTree(project)).toEqual(before);
  });

  it('--json prints a machine-readable summary of what it wrote', async () => {
    const { code, stdout, stderr } = await runMain(['rename-column', ...FULL, '--project', project, '--json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      change: 'order-quantity-to-qty',
      op: 'rename-column',
      strategy: 'trigger',
      phase: 1,
      phases: 2,
      files: [
        { path: 'shop/migrations/0002_order_qty_expand.py', action: 'create' },
        { path: 'shop/models.py', action: 'modify' },
      ],
      written: true,
      warnings: [],
      nextSteps: ['after release 1 is fully rolled out: bg-scaffold advance order-quantity-to-qty'],
    });
  });

  it('--json --dry-run includes the diff and writes nothing', async () => {
    const before = snapshotTree(project);
    const { stdout } = await runMain(['rename-column', ...FULL, '--project', project, '--json', '--dry-run']);
    const summary = JSON.parse(stdout);
    expect(summary.written).toBe(false);
    expect(summary.diff).toMatch(/^diff --git a\/shop\/migrations\/0002_order_qty_expand.py/);
    expect(snapshotTree(project)).toEqual(before);
  });

  it('turns a BgScaffoldError into one line on stderr and exit 2, writing nothing', async () => {
    vi.mocked(stageOperation).mockRejectedValue(new BgScaffoldError('unknown field "quantty" on shop.Order (did you mean "quantity"?)'));
    const before = snapshotTree(project);
    const { code, stdout, stderr } = await runMain(['rename-column', ...FULL, '--project', project]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('bg-scaffold: unknown field "quantty" on shop.Order (did you mean "quantity"?)\n');
    expect(snapshotTree(project)).toEqual(before);
  });

  it('reports an unexpected error as a bug, exit 70, with the stack only when debugging', async () => {
    vi.mocked(stageOperation).mockRejectedValue(new TypeError('x is undefined'));
    const plain = await runMain(['rename-column', ...FULL, '--project', project]);
    expect(plain.code).toBe(70);
    expect(plain.stderr).toMatch(/^bg-scaffold: x is undefined\nbg-scaffold: this is a bug/);
    const debug = await runMain(['rename-column', ...FULL, '--project', project], { env: { BG_SCAFFOLD_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/TypeError: x is undefined\n\s+at /);
  });

  it('advance stages the named change', async () => {
    vi.mocked(stageAdvance).mockImplementation(async (req) => ({ ...stagedRename(req.projectDir), phase: 2 }));
    const { code, stdout } = await runMain(['advance', 'order-quantity-to-qty', '--project', project, '--json', '--dry-run']);
    expect(code).toBe(0);
    expect(stageAdvance).toHaveBeenCalledWith(expect.objectContaining({ change: 'order-quantity-to-qty', projectDir: project }));
    expect(JSON.parse(stdout)).toMatchObject({ phase: 2, phases: 2, written: false });
  });
});

describe('in a terminal', () => {
  const terminal = (prompter: Prompter) => ({ isTTY: true, prompter });

  it('asks app → model → field → new name → strategy, then confirms before writing', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'quantity', 'qty', 'trigger', true]);
    const { code, stdout } = await runMain(['rename-column', '--project', project], terminal(prompter));
    expect(code).toBe(0);
    expect(prompter.asked.map((q) => `${q.kind} ${q.message}`)).toEqual([
      'select App',
      'select Model',
      'search Field to rename (type to filter)',
      'input New name for Order.quantity',
      'select Strategy (postgresql)',
      'confirm Write these 2 files?',
    ]);
    expect(stageOperation).toHaveBeenCalledWith(renameColumn, expect.anything(), 
      expect.objectContaining({ app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'trigger', phases: undefined }),
    );
    expect(stdout).toContain('order-quantity-to-qty (rename-column, trigger): phase 1 of 2, one release each\n  create shop/migrations/0002_order_qty_expand.py\n');
    expect(stdout).toContain('wrote 2 files\n');
    expect(snapshotTree(project).has('shop/migrations/0002_order_qty_expand.py')).toBe(true);
  });

  it('offers apps and concrete models found in the project, and fields as name (class, column)', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'quantity', 'qty', 'trigger', true]);
    await runMain(['rename-column', '--project', project], terminal(prompter));
    const [app, model, fieldQuestion] = prompter.asked;
    expect(app!.choices!.map((c) => c.value)).toEqual(['billing', 'shop']);
    expect(model!.choices!.map((c) => c.value)).toEqual(['Order', 'Customer']);
    expect(fieldQuestion!.choices!.map((c) => [c.name, c.disabled])).toEqual([
      ['id (BigAutoField, id)', 'Order.id is the primary key; bg-scaffold does not rename primary keys'],
      ['quantity (IntegerField, quantity)', undefined],
      ['reference (CharField, ref)', undefined],
    ]);
  });

  it('validates the new name before accepting it', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'quantity', 'qty', 'trigger', true]);
    await runMain(['rename-column', '--project', project], terminal(prompter));
    const validate = prompter.validations[0]!;
    expect(validate('qty')).toBe(true);
    expect(validate('quantity')).toMatch(/current name/);
    expect(validate('reference')).toMatch(/already a field of Order/);
    expect(validate('class')).toMatch(/Python keyword/);
    expect(validate('2qty')).toMatch(/not a valid Python identifier/);
    expect(validate('match')).toBe(true);
    expect(validate('Quantity')).toMatch(/differs only in case from the column "quantity"/);
    expect(validate('objects')).toMatch(/default manager/);
  });

  it('asks only for what the flags did not give', async () => {
    const prompter = new ScriptedPrompter(['qty', true]);
    await runMain(['rename-column', '--project', project, '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--strategy', 'trigger'], terminal(prompter));
    expect(prompter.asked.map((q) => q.kind)).toEqual(['input', 'confirm']);
  });

  it('defaults the strategy by database, and asks the number of releases for copy', async () => {
    vi.mocked(discoverProject).mockImplementation(async () => ({ ...facts(), database: 'sqlite' }));
    const prompter = new ScriptedPrompter(['copy', 3, true]);
    await runMain(['rename-column', '--project', project, ...FULL], terminal(prompter));
    expect(prompter.asked[0]).toMatchObject({ message: 'Strategy (sqlite)', default: 'copy' });
    expect(prompter.asked[1]).toMatchObject({ message: 'Releases', default: 4 });
    expect(stageOperation).toHaveBeenCalledWith(renameColumn, expect.anything(), expect.objectContaining({ strategy: 'copy', phases: 3 }));
  });

  it('offers only the strategies that can work: the others are shown disabled, with the reason', async () => {
    vi.mocked(discoverProject).mockImplementation(async () => ({ ...facts(), database: 'sqlite' }));
    const prompter = new ScriptedPrompter(['copy', 4, true]);
    await runMain(['rename-column', '--project', project, ...FULL], terminal(prompter));
    const offered = prompter.asked[0]!.choices!.map((choice) => [choice.value, choice.disabled ?? null]);
    expect(offered).toEqual([
      ['db-column', null],
      ['trigger', '--strategy trigger needs PostgreSQL (this project uses sqlite)'],
      ['copy', null],
    ]);
  });

  it('a field with db_column offers db-column alone, and chooses it by default', async () => {
    const prompter = new ScriptedPrompter(['db-column', true]);
    await runMain(['rename-column', '--project', project, '--app', 'shop', '--model', 'Order', '--field', 'reference', '--to', 'ref_code'], terminal(prompter));
    const strategy = prompter.asked[0]!;
    expect(strategy.default).toBe('db-column');
    expect(strategy.choices!.filter((choice) => !choice.disabled).map((choice) => choice.value)).toEqual(['db-column']);
    expect(strategy.choices!.find((choice) => choice.value === 'trigger')!.disabled).toBe('Order.reference sets db_column, so its column keeps its name anyway');
  });

  it('writes nothing when the user declines', async () => {
    const before = snapshotTree(project);
    const prompter = new ScriptedPrompter([false]);
    const { code, stderr } = await runMain(['rename-column', '--project', project, ...FULL, '--strategy', 'trigger'], terminal(prompter));
    expect(code).toBe(0);
    expect(stderr).toBe('nothing was written\n');
    expect(snapshotTree(project)).toEqual(before);
  });

  it('does not ask to confirm a dry run', async () => {
    const prompter = new ScriptedPrompter([]);
    const { code } = await runMain(['rename-column', '--project', project, ...FULL, '--strategy', 'trigger', '--dry-run'], terminal(prompter));
    expect(code).toBe(0);
    expect(prompter.asked).toEqual([]);
  });

  it('exits 130 when the user presses Ctrl+C', async () => {
    const cancelled: Prompter = {
      ...neverAsk,
      select: () => Promise.reject(Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' })),
    };
    const { code, stderr } = await runMain(['rename-column', '--project', project], terminal(cancelled));
    expect(code).toBe(130);
    expect(stderr).toBe('bg-scaffold: cancelled; nothing was written\n');
  });

  it('turns an unknown --app into one line naming the apps', async () => {
    const { code, stderr } = await runMain(['rename-column', '--project', project, '--app', 'shp'], terminal(neverAsk));
    expect(code).toBe(2);
    expect(stderr).toBe('bg-scaffold: unknown app "shp" (did you mean "shop"?); apps: billing, shop\n');
  });
});
