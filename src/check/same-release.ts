/**
 * Rule 2 of `check --since <ref>`: phases of one change never ship in one release. A phase counts
 * as added since the ref when the record now lists it as applied and did not at the ref, or when
 * its migration (found by its `BG_SCAFFOLD` constant) is here now and was not at the ref.
 */
import { parseChangeRecord, planJsonPath } from '../record/change-record.js';
import type { ChangeInFlight } from './changes.js';
import { finding, type Finding } from './findings.js';
import { filesContainingAt, showAt } from './git.js';
import { migrationMarker } from './markers.js';

/** Phases of each change present at a commit: `change → phase numbers`. */
export function phasesAt(projectRoot: string, commit: string, changes: string[]): Map<string, Set<number>> {
  const present = new Map<string, Set<number>>();
  const add = (change: string, phase: number): void => void present.set(change, (present.get(change) ?? new Set()).add(phase));
  for (const change of changes) {
    const text = showAt(projectRoot, commit, planJsonPath(change));
    if (text === null) continue;
    try {
      for (const applied of parseChangeRecord(text, `${planJsonPath(change)} at ${commit.slice(0, 12)}`).applied) add(change, applied.phase);
    } catch {
      // A record unreadable at the ref says nothing about what shipped; the migrations below still do.
    }
  }
  for (const file of filesContainingAt(projectRoot, commit, 'BG_SCAFFOLD', ['*migrations/*.py'])) {
    const source = showAt(projectRoot, commit, file);
    const marker = source === null ? null : migrationMarker(file, source);
    if (marker) add(marker.change, marker.phase);
  }
  return present;
}

export function sameReleaseFindings(change: ChangeInFlight, atRef: Set<number>, ref: string): Finding[] {
  const now = new Map<number, { file: string | null; line: number | null }>();
  for (const applied of change.record?.applied ?? []) now.set(applied.phase, { file: applied.migration, line: null });
  for (const marker of change.markers) {
    if (marker.kind === 'migration') now.set(marker.phase, { file: marker.file, line: marker.line });
  }
  const added = [...now.keys()].filter((phase) => !atRef.has(phase)).sort((a, b) => a - b);
  if (added.length < 2) return [];
  const [first, ...rest] = added;
  return rest.map((phase) =>
    finding(
      'same-release',
      change.change,
      `phase ${phase}/${change.phases} was added since ${ref}, and so was phase ${first}/${change.phases}: they would ship in one release. Ship phase ${first}, roll it out fully, then phase ${phase} in the next release`,
      now.get(phase)!,
    ),
  );
}
