/**
 * The end of every command that stages a change: print the diff (--dry-run), or confirm and
 * commit, then report what happened, for people or (--json) for programs.
 */
import type { StagedChange } from '../commands/types.js';
import { discardIntrospectionCache } from '../project/introspect.js';
import { type FileAction, fileAction } from '../stage/staged-tree.js';
import type { RunOptions } from './common-options.js';
import type { Prompter } from './interactive.js';
import type { Io } from './io.js';

/** The --json document. */
export interface ChangeSummary {
  change: string;
  op: string;
  strategy: string;
  phase: number;
  phases: number;
  files: Array<{ path: string; action: FileAction }>;
  written: boolean;
  warnings: string[];
  nextSteps: string[];
  /** How the project was read: `django` (its app registry) or `static` (the source), and why. */
  discovery?: { source: 'django' | 'static'; note: string };
  /** With --dry-run only. */
  diff?: string;
}

export function summarize(staged: StagedChange, written: boolean, diff?: string): ChangeSummary {
  const { plan } = staged;
  return {
    change: plan.change,
    op: plan.op,
    strategy: plan.strategy,
    phase: staged.phase,
    phases: plan.phases.length,
    files: staged.stage.files().map((file) => ({ path: file.path, action: fileAction(file) })),
    written,
    warnings: staged.warnings,
    nextSteps: staged.nextSteps,
    ...(staged.discovery ? { discovery: { source: staged.discovery.source, note: staged.discovery.note } } : {}),
    ...(diff === undefined ? {} : { diff }),
  };
}

/**
 * Prints the diff or commits the stage, and reports. `prompter` is set when the run is
 * interactive: the user then confirms before anything is written. Returns the exit code.
 */
export async function finishRun(staged: StagedChange, run: RunOptions, io: Io, prompter: Prompter | null): Promise<number> {
  const { stage } = staged;
  // --dry-run writes nothing, Django's cached report included.
  if (run.dryRun) discardIntrospectionCache();
  if (run.json) {
    const diff = run.dryRun ? stage.diff() : undefined;
    const written = run.dryRun ? false : (await stage.commit()).length > 0;
    io.stdout.write(`${JSON.stringify(summarize(staged, written, diff), null, 2)}\n`);
    return 0;
  }

  // Warnings come with the result: before the diff or the question, else after a successful write,
  // so a run that fails to write still says one line and no more.
  const warn = () => {
    // Said when it matters: Django was not asked by choice (--no-django) needs no word.
    if (staged.discovery && staged.discovery.note) io.stderr.write(`note: ${staged.discovery.note}\n`);
    staged.warnings.forEach((warning) => io.stderr.write(`warning: ${warning}\n`));
  };
  const files = summarize(staged, false).files;
  if (run.dryRun) {
    warn();
    io.stdout.write(stage.diff());
    io.stderr.write(`dry run: nothing was written (${files.length} ${files.length === 1 ? 'file' : 'files'} would change)\n`);
    return 0;
  }
  if (files.length === 0) {
    io.stdout.write('nothing to write: the project already has this phase\n');
    return 0;
  }
  if (prompter) {
    warn();
    io.stdout.write(`${headline(staged)}\n${files.map((f) => `  ${f.action} ${f.path}\n`).join('')}`);
    const go = await prompter.confirm({ message: `Write ${files.length === 1 ? 'this file' : `these ${files.length} files`}?`, default: true });
    if (!go) {
      io.stderr.write('nothing was written\n');
      return 0;
    }
  }
  await stage.commit();
  if (!prompter) warn();
  // An interactive run listed the files just above the question.
  if (prompter) io.stdout.write(`wrote ${files.length === 1 ? '1 file' : `${files.length} files`}\n`);
  else io.stdout.write(files.map((f) => `${f.action} ${f.path}\n`).join(''));
  if (staged.nextSteps.length > 0) io.stdout.write(`\nNext steps:\n${staged.nextSteps.map((step) => `  - ${step}\n`).join('')}`);
  return 0;
}

/** `order-quantity-to-qty (rename-column, trigger): phase 1 of 2, one release each` */
function headline(staged: StagedChange): string {
  const { plan } = staged;
  const phases = plan.phases.length;
  return `${plan.change} (${plan.op}, ${plan.strategy}): phase ${staged.phase} of ${phases}${phases > 1 ? ', one release each' : ''}`;
}
