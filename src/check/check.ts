/**
 * `bg-scaffold check`: the CI and pre-commit gate over changes in flight. Five rules:
 * 1. no code refers to a name an applied phase took away (the reference scanner): a certain
 *    reference fails, a possible one (the receiver is unknown, other models have the name) is listed
 *    and fails only when strict; one finding per source line and name, as generation counts them;
 * 2. with `--since <ref>`, no two phases of one change were added since the ref;
 * 3. the change records and the files agree (markers, migrations, models);
 * 4. no change has waited past `--max-age` in a phase that leaves work pending;
 * 5. every migrations folder's runtime is the one bg-scaffold ships (a finding of no change).
 * One pass over the project reads every file once, for references and markers both.
 */
import { fail } from '../errors.js';
import { readChangeRecords } from '../record/change-record.js';
import { collectChanges, daysBetween, waitingSince, type ChangeInFlight } from './changes.js';
import { finding, isFailing, type Finding } from './findings.js';
import type { InstalledModel } from './model-catalog.js';
import { isGitWorkTree, resolveRef } from './git.js';
import { goneNames, type GoneName } from './gone-names.js';
import { recordAgreement } from './record-agreement.js';
import { scanProject, type Reference, type ReferenceTarget } from './references.js';
import { phasesAt, sameReleaseFindings } from './same-release.js';
import { staleRuntimeFindings } from './stale-runtime.js';

export interface CheckOptions {
  /** A git revision: the last release. */
  since?: string;
  /** Rule 4's limit, or null to skip it. */
  maxAge: { ms: number; label: string } | null;
  now: Date;
  onProgress?: (done: number, total: number) => void;
  /** Possible references fail too (`--strict`, or config `check.strict`). */
  strict?: boolean;
  /** Also list the hits attributed to another model (`dropped`), and say why for every reference. */
  explain?: boolean;
  /** Models of installed apps outside the project, as Django reported them: other models that may have a name. */
  installedModels?: InstalledModel[];
  /** Folders the template engines load from, as Django reported them (relative, posix). */
  templateDirs?: string[];
}

export interface ChangeFindings {
  change: string;
  op: string;
  strategy: string | null;
  phase: number;
  phases: number;
  findings: Finding[];
  /** With `explain`: hits of the names taken away that belong to another model, one per occurrence. */
  dropped?: Finding[];
}

export interface CheckReport {
  ok: boolean;
  /** Every change, with its findings (possibly none). */
  changes: ChangeFindings[];
  /** Findings that belong to no change (their change is `-`): runtime copies (rule 5). */
  projectFindings: Finding[];
  /** Findings listed (possible references included). */
  findingCount: number;
  /** Findings that fail the gate: all but the possible references, unless strict. */
  failingCount: number;
  /** Possible references among the findings. */
  possibleCount: number;
  strict: boolean;
  filesScanned: number;
  since: string | null;
  maxAge: string | null;
}

export async function checkProject(projectRoot: string, options: CheckOptions): Promise<CheckReport> {
  // Bad input first, before the long scan.
  const commit = options.since === undefined ? null : resolveRef(projectRoot, options.since);
  const records = readChangeRecords(projectRoot);

  const gone = new Map<string, GoneName[]>();
  for (const record of records) gone.set(record.plan.change, goneNames(record.plan, record.applied.length));
  const targets = uniqueTargets([...gone.values()].flat().map((g) => g.target));

  const scan = await scanProject(projectRoot, {
    targets,
    markers: true,
    definitions: true,
    onProgress: options.onProgress,
    explain: options.explain === true,
    installedModels: options.installedModels,
    templateDirs: options.templateDirs,
  });
  const changes = collectChanges(records, scan.markers);
  // Asked once, and only when rule 4 needs commit dates.
  const inGit = options.maxAge ? isGitWorkTree(projectRoot) : false;
  const atRef = commit ? phasesAt(projectRoot, commit, changes.map((change) => change.change)) : null;

  const report: ChangeFindings[] = changes.map((change) => {
    const taken = gone.get(change.change) ?? [];
    const mine = scan.references.filter((ref) => taken.some((g) => sameTarget(g.target, ref.target)));
    const definitions = mine.filter((ref) => ref.kind === 'definition');
    const references = referenceFindings(change, taken, mine, definitions);
    const findings = [
      ...references.findings,
      ...(atRef ? sameReleaseFindings(change, atRef.get(change.change) ?? new Set(), options.since!) : []),
      ...recordAgreement(projectRoot, change, taken, definitions),
      ...(options.maxAge ? overdueFindings(projectRoot, change, inGit, options.maxAge, options.now) : []),
    ];
    return {
      change: change.change,
      op: change.op,
      strategy: change.strategy,
      phase: change.applied,
      phases: change.phases,
      findings: findings.sort(byLocation),
      ...(options.explain ? { dropped: references.dropped } : {}),
    };
  });
  const projectFindings = staleRuntimeFindings(projectRoot, scan.paths);
  const all = [...report.flatMap((change) => change.findings), ...projectFindings];
  const strict = options.strict === true;
  const failingCount = all.filter((f) => isFailing(f, strict)).length;
  return {
    ok: failingCount === 0,
    changes: report,
    projectFindings,
    findingCount: all.length,
    failingCount,
    possibleCount: all.filter((f) => f.certainty === 'possible').length,
    strict,
    filesScanned: scan.files,
    since: options.since ?? null,
    maxAge: options.maxAge?.label ?? null,
  };
}

/**
 * Rule 1: one finding per source line and name (as generation's warnings count them), certain when
 * any reference on the line is, else possible; the hits attributed to another model apart. A name
 * that is defined again after the change completed was reused on purpose: not a finding.
 */
function referenceFindings(change: ChangeInFlight, taken: GoneName[], refs: Reference[], definitions: Reference[]): { findings: Finding[]; dropped: Finding[] } {
  const complete = change.applied >= change.phases;
  const findings: Finding[] = [];
  const dropped: Finding[] = [];
  const byLine = new Map<string, Reference[]>();
  for (const ref of refs) {
    if (ref.kind === 'definition') continue;
    if (complete && definitions.some((d) => sameTarget(d.target, ref.target))) continue;
    if (ref.certainty === 'dropped') {
      dropped.push(
        finding('reference', change.change, `not counted: ${ref.reason} [${ref.kind}]`, { file: ref.file, line: ref.line, column: ref.column, text: ref.text, certainty: 'dropped', reason: ref.reason }),
      );
      continue;
    }
    const key = `${ref.file}:${ref.line}:${ref.target.kind}:${ref.target.model}.${ref.target.name}`;
    byLine.set(key, [...(byLine.get(key) ?? []), ref]);
  }
  for (const line of byLine.values()) {
    const first = line[0]!;
    const entry = taken.find((g) => sameTarget(g.target, first.target))!;
    const decisive = line.find((ref) => ref.certainty === 'certain') ?? first;
    const kinds = [...new Set(line.map((ref) => ref.kind))].join(', ');
    const name = first.target.kind === 'model' ? `model ${first.target.name}` : `${first.target.model}.${first.target.name}`;
    findings.push(
      finding('reference', change.change, `refers to ${name}, ${entry.how} in phase ${entry.phase}/${change.phases} (applied) [${kinds}]`, {
        file: first.file,
        line: first.line,
        column: first.column,
        text: first.text,
        certainty: decisive.certainty,
        reason: decisive.reason,
      }),
    );
  }
  return { findings, dropped: dropped.sort(byLocation) };
}

/** Rule 4. */
function overdueFindings(projectRoot: string, change: ChangeInFlight, inGit: boolean, maxAge: { ms: number; label: string }, now: Date): Finding[] {
  if (!change.record || change.applied >= change.phases || change.applied === 0) return [];
  const waiting = waitingSince(projectRoot, change, inGit);
  if (!waiting || now.getTime() - new Date(waiting.since).getTime() <= maxAge.ms) return [];
  const next = change.record.plan.phases[change.applied]!;
  const days = daysBetween(waiting.since, now);
  const source = waiting.source === 'git' ? `committed ${waiting.since.slice(0, 10)}` : `applied ${waiting.since.slice(0, 10)} by the record`;
  const migration = change.markers.find((marker) => marker.kind === 'migration' && marker.phase === change.applied);
  return [
    finding(
      'overdue',
      change.change,
      `phase ${change.applied}/${change.phases} has waited ${days} days (${source}), past --max-age ${maxAge.label}; next: phase ${next.number}, "${next.title}" (bg-scaffold advance ${change.change})`,
      { file: migration?.file ?? waiting.file, line: migration?.line ?? null },
    ),
  ];
}

function uniqueTargets(targets: ReferenceTarget[]): ReferenceTarget[] {
  const seen = new Map<string, ReferenceTarget>();
  for (const target of targets) seen.set(`${target.kind}:${target.app}.${target.model}.${target.name}`, target);
  return [...seen.values()];
}

function sameTarget(a: ReferenceTarget, b: ReferenceTarget): boolean {
  return a.app === b.app && a.model === b.model && a.name === b.name && a.kind === b.kind;
}

function byLocation(a: Finding, b: Finding): number {
  const file = (f: Finding) => f.file ?? '';
  return file(a) < file(b) ? -1 : file(a) > file(b) ? 1 : (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** `30d`, `12h`, `2w`, `90min`; `off` (or `0`) turns rule 4 off. */
export function parseMaxAge(value: string): { ms: number; label: string } | null {
  if (value === 'off' || value === 'none' || value === '0') return null;
  const match = /^([1-9][0-9]*)(min|h|d|w)$/.exec(value);
  if (!match) fail(`--max-age "${value}" is not a duration like 30d, 12h, 2w or 90min (or off)`);
  const unit = { min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[match[2] as 'min' | 'h' | 'd' | 'w'];
  return { ms: Number(match[1]) * unit, label: value };
}
