/**
 * The matrix with a template pack: the example pack examples/packs/safemigrate marks every
 * migration for django-safemigrate (`from django_safemigrate import Safe`, `safe = Safe...()`),
 * so Django imports the real package (installed by test/harness/python-env.ts) in every phase.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../harness/process.js';
import { repoRoot } from '../harness/repo.js';
import type { Scenario } from './matrix.js';

const SAFEMIGRATE_PACK = path.join(repoRoot(), 'examples', 'packs', 'safemigrate');

/** Imports the phase's migration as Django would and reads its mark through django-safemigrate. */
const SAFE_WHEN = [
  'import importlib, sys',
  'from django_safemigrate import Safe',
  'sys.path.insert(0, sys.argv[1])',
  'safe = importlib.import_module("shop.migrations." + sys.argv[2]).Migration.safe',
  'assert isinstance(safe, Safe), repr(safe)',
  'print(safe.when.value)',
].join('\n');

export const SCENARIOS: Scenario[] = [
  {
    name: 'rename-column trigger with the safemigrate pack',
    cli: ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'trigger'],
    // The pack is named in every run: advance renders phase 2 with it too.
    everyRun: ['--pack', SAFEMIGRATE_PACK],
    // The pack changes headers and marks, not the plan: once, on the newest Django, is enough.
    djangoLines: ['latest'],
    codeField: ['quantity', 'qty', 'qty'],
    verify: {
      check: 'the migration carries its django-safemigrate mark',
      // Phase 1 switches the code to the new name, so it runs before the deploy; phase 2 ships no
      // code change (it drops what nothing serving uses), so it can wait until after it.
      run: async (tree, phase, env) => {
        const migrations = readdirSync(path.join(tree, 'shop', 'migrations')).filter((name) => /^\d{4}_\w+\.py$/.test(name)).sort();
        const name = migrations[migrations.length - 1]!.replace(/\.py$/, '');
        const result = await runCommand(env.python, ['-c', SAFE_WHEN, tree, name], { cwd: tree, timeoutMs: 60_000 });
        const when = result.stdout.trim();
        const expected = phase === 1 ? 'before_deploy' : 'after_deploy';
        if (result.code !== 0) return `${name}: ${result.stderr.trim().split('\n').pop()}`;
        return when === expected ? null : `${name} is marked ${when}, expected ${expected}`;
      },
    },
  },
];
