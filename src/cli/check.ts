/** `bg-scaffold check`: the CI and pre-commit gate. Exit 0 clean, 1 findings, 2 bad input. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { checkProject, parseMaxAge, type CheckReport } from '../check/check.js';
import { isFailing, location, type Finding } from '../check/findings.js';
import { BgScaffoldError, fail } from '../errors.js';
import type { InstalledModel } from '../check/model-catalog.js';
import { readProjectConfig } from '../project/config.js';
import { introspectDjango, readCachedRegistry, type DjangoRegistry, type DjangoRuntimeChoice } from '../project/introspect.js';
import { RECORD_ROOT } from '../record/change-record.js';
import { readCommonOptions } from './common-options.js';
import type { Io } from './io.js';
import type { CommandContext } from './run-command.js';

interface CheckFlags {
  project?: string;
  /** true: --django; false: --no-django; undefined: the cached report, when there is one. */
  django?: boolean;
  python?: string;
  settings?: string;
  since?: string;
  maxAge: { ms: number; label: string } | null;
  json?: boolean;
  strict?: boolean;
  explain?: boolean;
}

export const DEFAULT_MAX_AGE = '30d';

export function checkCommand(context: CommandContext): Command {
  const command = new Command('check')
    .description('fail (exit 1) when code still uses a name a change took away, phases share a release, records and files disagree, or a change has stalled')
    .option('--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)')
    .option('--since <ref>', 'the last release (git tag, branch or commit): fail when two phases of one change were added since')
    .addOption(
      new Option('--max-age <duration>', 'fail when a change has waited longer than this in a phase with work pending: 30d, 12h, 2w, or off')
        .argParser(maxAgeArgument)
        .default(parseMaxAge(DEFAULT_MAX_AGE), DEFAULT_MAX_AGE),
    )
    .option('--strict', 'fail on possible references too (the receiver is unknown and other models have the name); config: check.strict')
    .option('--explain', 'say why each reference is certain or possible, and list the hits attributed to another model')
    .option('--json', 'print the findings as JSON on stdout (certainty and reason per reference)')
    .option('--django', "ask Django which models the installed apps have (starts Python unless bg-scaffold's cache answers); by default they come from the cache, when a generation left one")
    .option('--no-django', "leave the installed apps' models out: only the project's source says which models have a name")
    .option('--python <path>', "with --django (implied), the project's Python (default: BG_PYTHON, the config's python, the project's .venv or venv, else python3)")
    .option('--settings <module>', "with --django (implied), the Django settings module (default: the config's settings, DJANGO_SETTINGS_MODULE, else manage.py's)");
  command.addHelpText(
    'after',
    [
      '',
      'Rules:',
      '  reference       code refers to a field or model an applied phase took away (Python and templates):',
      '                  certain (fails) or possible (listed; fails with --strict); another model\'s is dropped',
      '  same-release    two phases of one change were added since --since',
      '  record-mismatch the change record and the files disagree (markers, migrations, models)',
      '  overdue         a change has waited past --max-age before its next phase',
      '  stale-runtime   a migrations folder\'s runtime (_bg_scaffold_v<N>.py) is older than bg-scaffold\'s, edited, or newer (no change: "-")',
      '',
      'A line that says "bg-scaffold: ignore" (a # or {# #} comment) is never reported as a reference.',
      '',
      'Examples:',
      '  bg-scaffold check',
      '  bg-scaffold check --since "$(git describe --tags --abbrev=0)" --json',
    ].join('\n'),
  );
  return command.action(async (flags: CheckFlags) => {
    const projectDir = projectRoot(flags.project, context.cwd);
    const config = readProjectConfig(projectDir);
    const strict = flags.strict === true || config.checkStrict === true;
    const django = flags.django ?? (flags.python !== undefined || flags.settings !== undefined ? true : undefined);
    if (django === false && (flags.python !== undefined || flags.settings !== undefined)) fail('--python and --settings ask Django, and --no-django says not to: pass one or the other');
    const fromDjango = await whatDjangoSays(projectDir, django, { python: flags.python ?? config.python, settings: flags.settings ?? config.settings });
    const report = await checkProject(projectDir, {
      since: flags.since,
      maxAge: flags.maxAge,
      now: new Date(),
      onProgress: progressIndicator(context.io, 'check'),
      strict,
      explain: flags.explain === true,
      ...fromDjango,
    });
    context.io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheck(report, { explain: flags.explain === true }));
    context.exitCode = report.ok ? 0 : 1;
  });
}

/**
 * What the scan takes from Django: the installed apps' models (django.contrib.auth's `User`, a
 * package's) and the folders the template engines load from. With --django from Django (its cached
 * report when still valid), by default from the last report cached, if any; with --no-django
 * nothing. A project whose settings do not load fails --django with Django's reason.
 */
async function whatDjangoSays(
  projectDir: string,
  django: boolean | undefined,
  runtime: DjangoRuntimeChoice,
): Promise<{ installedModels: InstalledModel[]; templateDirs: string[] }> {
  const nothing = { installedModels: [], templateDirs: [] };
  if (django === false) return nothing;
  let registry: DjangoRegistry | null;
  if (django === true) {
    const asked = await introspectDjango(projectDir, runtime);
    if (!asked.ok) fail(`--django: Django could not be asked (${asked.reason}); pass --no-django to check without it`);
    registry = asked.registry;
  } else {
    registry = await readCachedRegistry(projectDir);
  }
  if (!registry) return nothing;
  // Loaded only when there is a report: most runs of check in a hook have none to read.
  const [{ externalModelsFromRegistry }, { installedModelsOf }] = await Promise.all([import('../project/from-django.js'), import('../check/installed-models.js')]);
  return { installedModels: installedModelsOf(externalModelsFromRegistry(projectDir, registry)), templateDirs: registry.templateDirs ?? [] };
}

function maxAgeArgument(value: string): { ms: number; label: string } | null {
  try {
    return parseMaxAge(value);
  } catch (error) {
    if (error instanceof BgScaffoldError) throw new InvalidArgumentError('Expected a duration like 30d, 12h, 2w or 90min, or off.');
    throw error;
  }
}

/** The project folder: it must hold manage.py or change records. */
export function projectRoot(project: string | undefined, cwd: string): string {
  const dir = readCommonOptions({ project }, cwd).common.projectDir;
  if (!existsSync(join(dir, 'manage.py')) && !existsSync(join(dir, RECORD_ROOT))) {
    fail(`no manage.py and no ${RECORD_ROOT}/ in ${dir}; pass --project pointing at your Django project`);
  }
  return dir;
}

/**
 * Findings grouped by change, one `file:line:col` per finding, then a summary line. A possible
 * reference says so and why; with `explain`, every reference says why, and the hits attributed to
 * another model are listed after each change's findings.
 */
export function formatCheck(report: CheckReport, options: { explain?: boolean } = {}): string {
  const lines: string[] = [];
  for (const change of report.changes) {
    const dropped = options.explain ? (change.dropped ?? []) : [];
    if (change.findings.length === 0 && dropped.length === 0) continue;
    const how = [change.op, change.strategy].filter(Boolean).join(', ');
    const possible = change.findings.filter((f) => f.certainty === 'possible').length;
    lines.push(`${change.change} (${how}), phase ${change.phase}/${change.phases}: ${plural(change.findings.length, 'finding')}${possible > 0 ? ` (${possible} possible)` : ''}`);
    for (const f of change.findings) {
      lines.push(`  ${location(f)}: ${f.rule}${f.certainty === 'possible' ? ' (possible)' : ''}: ${f.message}`);
      if (f.text) lines.push(`      ${f.text}`);
      if (f.reason && (f.certainty === 'possible' || options.explain)) lines.push(`      ${f.certainty}: ${f.reason}`);
    }
    if (dropped.length > 0) {
      lines.push(`  not counted, another model's (${dropped.length}):`);
      for (const f of dropped) lines.push(`  ${location(f)}: ${f.reason} [${/\[(.+)\]$/.exec(f.message)?.[1] ?? ''}]`, `      ${f.text ?? ''}`);
    }
    lines.push('');
  }
  // Findings of no change (the runtime copies) come after the changes', under `-`.
  if (report.projectFindings.length > 0) {
    lines.push(`- (no change): ${plural(report.projectFindings.length, 'finding')}`);
    for (const f of report.projectFindings) lines.push(`  ${location(f)}: ${f.rule}: ${f.message}`);
    lines.push('');
  }
  const scope = `${plural(report.changes.length, 'change')}, ${plural(report.filesScanned, 'file')} scanned`;
  // Counted from the findings listed, so that the summary always matches them.
  const failing = (f: Finding): boolean => isFailing(f, report.strict);
  const listed = [...report.changes.flatMap((change) => change.findings), ...report.projectFindings];
  const notFailing = listed.filter((f) => !failing(f)).length;
  const possibleNote = notFailing > 0 ? `${plural(notFailing, 'possible reference')} listed, not failing without --strict` : '';
  const count = listed.filter(failing).length;
  if (count === 0) {
    lines.push(possibleNote ? `check passed: ${possibleNote} (${scope})` : `check passed: no findings (${scope})`);
  } else {
    const failingChanges = report.changes.filter((change) => change.findings.some(failing)).length;
    const inChanges = `in ${plural(failingChanges, 'change')}`;
    const own = report.projectFindings.length;
    const where = own === 0 ? ` ${inChanges}` : own === count ? ' of no change' : `: ${count - own} ${inChanges}, ${own} of no change`;
    lines.push(`check failed: ${plural(count, 'finding')}${where}${possibleNote ? `; ${possibleNote}` : ''} (${scope})`);
  }
  return `${lines.join('\n')}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Below this many files a scan is quick enough not to need a progress line. */
const PROGRESS_THRESHOLD = 1000;

/** Progress goes to a terminal's stderr, never to scripts or CI logs. */
export function showsProgress(io: Io): boolean {
  const env = io.env ?? process.env;
  const ci = env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());
  return !ci && (io.isTTY ?? Boolean((io.stderr as { isTTY?: boolean }).isTTY));
}

/**
 * A progress line on stderr (`check: 1200/5000 files`), redrawn in place at most every 100 ms, for
 * interactive runs only: stderr is a terminal and CI is unset. Returns undefined otherwise.
 */
export function progressIndicator(io: Io, label: string): ((done: number, total: number) => void) | undefined {
  if (!showsProgress(io)) return undefined;
  let last = 0;
  let shown = false;
  return (done, total) => {
    if (total < PROGRESS_THRESHOLD) return;
    const now = Date.now();
    if (done === total) {
      if (shown) io.stderr.write('\r\x1b[K');
      return;
    }
    if (now - last < 100) return;
    last = now;
    shown = true;
    io.stderr.write(`\r\x1b[K${label}: ${done}/${total} files`);
  };
}
