/**
 * Rule 3 of `check`: the change record and the files must tell the same story.
 * - Code blocks (`# >>> bg-scaffold <change> k/N role`) belong to the latest applied phase only:
 *   applying a phase removes the earlier phases' blocks. A block of another phase is left behind
 *   (or ahead of the record); a block the current phase needs and that is gone is missing.
 * - Each applied phase's migration exists, carries its `BG_SCAFFOLD` constant, and matches the
 *   copy rendered into `.bg-scaffold/<change>/phase-<k>/` (applied-migrations.ts, shared with `advance`).
 * - No migration or marker shows a phase the record has not applied, or a phase count the plan does not have.
 * - models.py no longer defines what an applied phase took away (while the change is in flight).
 * - Every marker names a change that has a record.
 */
import { planJsonPath } from '../record/change-record.js';
import { appliedMigrationFindings } from './applied-migrations.js';
import type { ChangeInFlight } from './changes.js';
import { finding, type Finding } from './findings.js';
import type { GoneName } from './gone-names.js';
import type { Reference } from './references.js';

export function recordAgreement(projectRoot: string, change: ChangeInFlight, gone: GoneName[], definitions: Reference[]): Finding[] {
  const { record } = change;
  const id = change.change;
  if (!record) {
    return change.markers.map((marker) =>
      finding('record-mismatch', id, `marker names change "${id}", which has no record (${planJsonPath(id)} is missing): restore the record from version control, or remove the leftover ${describeMarker(marker.kind)}`, {
        file: marker.file,
        line: marker.line,
      }),
    );
  }

  const findings: Finding[] = [];
  const { plan } = record;
  const applied = record.applied.length;
  const phases = plan.phases.length;
  const complete = applied >= phases;

  for (const marker of change.markers) {
    const at = { file: marker.file, line: marker.line };
    if (marker.of !== phases) {
      findings.push(finding('record-mismatch', id, `marker says ${marker.phase}/${marker.of}, but the plan of "${id}" has ${phases} phases`, at));
      continue;
    }
    if (marker.phase > applied) {
      const what = marker.kind === 'migration' ? 'migration of phase' : `${describeMarker(marker.kind)} of phase`;
      findings.push(finding('record-mismatch', id, `${what} ${marker.phase}/${phases} is here, but the record says ${applied} of ${phases} applied: apply phases with \`bg-scaffold advance ${id}\`, not by hand`, at));
      continue;
    }
    if (marker.kind === 'block' && marker.file.split('/').includes('migrations')) continue; // part of a migration's history
    if (marker.kind === 'block' && marker.phase < applied) {
      findings.push(
        finding('record-mismatch', id, `"${marker.detail || 'code'}" block of phase ${marker.phase}/${phases} (lines ${marker.line}-${marker.endLine}) is left behind: phase ${applied} is applied, which replaces it; delete the block`, at),
      );
    }
    if (marker.kind === 'line' && complete && plan.phases[phases - 1]?.modelEdits.some((edit) => edit.kind === 'unmark')) {
      findings.push(finding('record-mismatch', id, `marker of phase ${marker.phase}/${phases} is left behind: the change is complete and its last phase removes its markers; delete the comment`, at));
    }
  }

  // The current phase's code blocks must all be there.
  const current = plan.phases.find((phase) => phase.number === applied);
  for (const block of current?.codeBlocks ?? []) {
    const present = change.markers.some((marker) => marker.kind === 'block' && marker.phase === applied && marker.detail === block.role);
    if (!present) {
      findings.push(
        finding('record-mismatch', id, `the "${block.role}" block of phase ${applied}/${phases} (model ${block.model}) is missing: phase ${applied} needs it while it serves; restore it from .bg-scaffold/${id}/phase-${applied}/ or version control`),
      );
    }
  }

  findings.push(...appliedMigrationFindings(projectRoot, record, change.markers));

  if (!complete) {
    for (const definition of definitions) {
      const entry = gone.find((g) => sameTarget(g.target, definition.target));
      const what = definition.target.kind === 'model' ? `model ${definition.target.name}` : `${definition.target.model}.${definition.target.name}`;
      findings.push(
        finding('record-mismatch', id, `${what} is still defined, but the record says phase ${entry?.phase ?? '?'} (${entry?.how ?? 'taken away'}) is applied`, {
          file: definition.file,
          line: definition.line,
          column: definition.column,
          text: definition.text,
        }),
      );
    }
  }
  return findings;
}

function describeMarker(kind: string): string {
  return kind === 'block' ? 'code block' : kind === 'line' ? '`# bg-scaffold:` comment' : 'migration';
}

function sameTarget(a: Reference['target'], b: Reference['target']): boolean {
  return a.app === b.app && a.model === b.model && a.name === b.name && a.kind === b.kind;
}
