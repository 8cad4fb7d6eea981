/**
 * Each operation declares its inputs once: the CLI's flags, the questions a terminal asks and the
 * answers the plan reads are the same set, under the same keys, with the same values.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { operationCommand } from '../cli/operation-command.js';
import type { CommandContext } from '../cli/run-command.js';
import { discoverProject } from '../project/discover.js';
import type { ProjectFacts } from '../project/types.js';
import { OPERATIONS } from './index.js';
import { type Operation, type OperationRequest, stageOperation } from './operation.js';
import { askAnswers, type Choice, type Declarations, type Prompter } from './options.js';

const shop = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');

/** The same change asked for twice: through the questions (answers in order), and through flags. */
const CASES: Array<{ operation: string; answers: unknown[]; argv: string[] }> = [
  {
    operation: 'rename-column',
    // The copy strategy on PostgreSQL offers where its copy runs.
    answers: ['shop', 'Order', 'quantity', 'qty', 'copy', 3, 'in-migrate'],
    argv: ['--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'copy', '--phases', '3', '--backfill', 'in-migrate'],
  },
  {
    operation: 'add-column',
    answers: ['shop', 'Order', 'gift_note', 'CharField', '120', 'default', 'none given', 'index'],
    argv: ['--app', 'shop', '--model', 'Order', '--name', 'gift_note', '--type', 'CharField', '--max-length', '120', '--default', 'none given', '--db-index'],
  },
  {
    operation: 'add-column',
    // The SQL backfill on PostgreSQL is the plan that offers where the backfill runs.
    answers: ['shop', 'Order', 'weight', 'DecimalField', '10', '2', 'backfill', 'quantity * 2', 'unique', 'background'],
    argv: ['--app', 'shop', '--model', 'Order', '--name', 'weight', '--type', 'DecimalField', '--max-digits', '10', '--decimal-places', '2', '--backfill-sql', 'quantity * 2', '--unique', '--backfill', 'background'],
  },
  {
    operation: 'add-column',
    answers: ['shop', 'Order', 'referred_by', 'ForeignKey', 'Customer', 'SET_NULL', 'null'],
    argv: ['--app', 'shop', '--model', 'Order', '--name', 'referred_by', '--type', 'ForeignKey', '--to', 'Customer', '--on-delete', 'SET_NULL', '--null'],
  },
  {
    operation: 'remove-column',
    answers: ['shop', 'Order', 'quantity', '1'],
    argv: ['--app', 'shop', '--model', 'Order', '--field', 'quantity', '--fill', '1'],
  },
  { operation: 'drop-table', answers: ['shop', 'Shipment'], argv: ['--app', 'shop', '--model', 'Shipment'] },
];

/** The options every command shares: not an operation's own inputs. */
const COMMON = new Set(['projectDir', 'database', 'djangoVersion', 'packs', 'lockTimeout', 'lockRetries', 'batchSize', 'python', 'settings', 'static']);

let facts: ProjectFacts;
beforeAll(async () => {
  facts = await discoverProject(shop, { static: true });
});

function operationNamed(name: string): Operation {
  return OPERATIONS.find((operation) => operation.name === name) as unknown as Operation;
}

function scripted(answers: unknown[]): Prompter {
  const queue = [...answers];
  const next = <T>(question: { message: string; choices?: Choice<T>[] }): Promise<T> => {
    if (queue.length === 0) throw new Error(`unexpected question: ${question.message}`);
    return Promise.resolve(queue.shift() as T);
  };
  return { select: next, search: next, input: next, confirm: next };
}

function command(operation: Operation): Command {
  const context = { io: { stdout: process.stdout, stderr: process.stderr }, cwd: shop, exitCode: 0 } as unknown as CommandContext;
  return operationCommand(operation, context).exitOverride();
}

/** The flags commander hands the action, by option key. */
async function parseFlags(operation: Operation, argv: string[]): Promise<Record<string, unknown>> {
  let flags: Record<string, unknown> = {};
  const parser = command(operation).action((parsed: Record<string, unknown>) => {
    flags = parsed;
  });
  await parser.parseAsync(argv, { from: 'user' });
  return Object.fromEntries(Object.keys(operation.options).filter((key) => flags[key] !== undefined).map((key) => [key, flags[key]]));
}

describe.each(OPERATIONS.map((operation) => [operation.name, operation as unknown as Operation] as const))('%s declares each input once', (_name, operation) => {
  const declarations: Declarations = operation.options;

  it('every declared option is a flag of the command, under the key the plan reads', () => {
    const options = command(operation).options;
    for (const [key, declaration] of Object.entries(declarations)) {
      const flag = options.find((option) => option.flags === declaration.flag);
      expect(flag, `${declaration.flag} is a flag`).toBeDefined();
      expect(flag!.attributeName(), `${declaration.flag} parses into answers.${key}`).toBe(key);
    }
  });

  it('every option is required, asked in a terminal, or says why it is a flag only', () => {
    const askedTogether = new Set(Object.values(declarations).flatMap((declaration) => declaration.askTogether?.keys ?? []));
    for (const [key, declaration] of Object.entries(declarations)) {
      const asked = Boolean(declaration.ask || declaration.askTogether || askedTogether.has(key));
      expect(asked || Boolean(declaration.required) || Boolean(declaration.flagOnly), `${declaration.flag}: required, asked, or flagOnly with a reason`).toBe(true);
      if (declaration.required) expect(declaration.ask, `${declaration.flag} is required: a terminal asks for it`).toBeDefined();
    }
    for (const key of askedTogether) {
      expect(declarations[key], `asked together: ${key} is declared`).toBeDefined();
      expect(declarations[key]!.ask, `${key} is asked with another option, not on its own`).toBeUndefined();
    }
  });
});

describe.each(CASES)('$operation: questions and flags give the plan the same answers ($argv)', ({ operation: name, answers, argv }) => {
  const operation = operationNamed(name);

  it('the answers to the questions are the values of the flags', async () => {
    const asked = await askAnswers(operation.options, {}, { prompter: scripted(answers), facts, database: 'postgresql' });
    const defined = Object.fromEntries(Object.entries(asked).filter(([, value]) => value !== undefined));
    expect(defined).toEqual(await parseFlags(operation, argv));
  });

  it('the plan reads every declared input', async () => {
    const flags = await parseFlags(operation, argv);
    const read = new Set<string>();
    const request = new Proxy({ projectDir: shop, static: true, ...flags } as Record<string, unknown>, {
      get(target, key) {
        if (typeof key === 'string') read.add(key);
        return target[key as string];
      },
    });
    await stageOperation(operation, facts, request as OperationRequest<Declarations>);
    expect([...read].filter((key) => !COMMON.has(key)).sort()).toEqual(Object.keys(operation.options).sort());
  });
});
