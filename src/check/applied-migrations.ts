/**
 * The migrations a change record says were applied, against the files: each is present, carries
 * its `BG_SCAFFOLD` constant, and reads as the copy rendered into `.bg-scaffold/<change>/phase-<k>/`
 * (up to layout and the TODOs the user is asked to complete). `check` reports these as rule 3
 * findings; `advance` refuses on them, since it would number the next phase after the wrong parent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { phaseReviewDir, planJsonPath, type ChangeRecord } from '../record/change-record.js';
import { finding, type Finding } from './findings.js';
import { findMarkers, migrationMarker, type Marker } from './markers.js';

/**
 * One finding per applied phase whose migration is missing, moved, doubled, mislabelled or edited.
 * `stamped`: the migration constants (`kind: 'migration'` markers) of this change found in the project.
 */
export function appliedMigrationFindings(projectRoot: string, record: ChangeRecord, stamped: Marker[]): Finding[] {
  const findings: Finding[] = [];
  const id = record.plan.change;
  const phases = record.plan.phases.length;
  for (const applied of record.applied) {
    const expected = applied.migration;
    if (!expected) continue;
    const claims = stamped.filter((marker) => marker.kind === 'migration' && marker.change === id && marker.phase === applied.phase);
    const label = `phase ${applied.phase}/${phases}`;
    const copy = posix.join(phaseReviewDir(id, applied.phase), posix.basename(expected));
    const hasCopy = existsSync(join(projectRoot, copy));
    if (!existsSync(join(projectRoot, expected))) {
      const moved = claims[0];
      findings.push(
        moved
          ? finding('record-mismatch', id, `the migration of ${label} is ${moved.file}, but the record says ${expected}: update "migration" in ${planJsonPath(id)} if it was renumbered on purpose`, {
              file: moved.file,
              line: moved.line,
            })
          : finding('record-mismatch', id, `the migration of ${label} is missing: the record says ${expected}; restore it from ${hasCopy ? `${copy} (the copy bg-scaffold rendered) or ` : ''}version control (a migration that has run must stay)`, {
              file: expected,
            }),
      );
      continue;
    }
    for (const extra of claims.filter((marker) => marker.file !== expected)) {
      findings.push(finding('record-mismatch', id, `a second migration claims ${label} (the record's is ${expected}); remove the copy`, { file: extra.file, line: extra.line }));
    }
    const source = readFileSync(join(projectRoot, expected), 'utf8');
    const constant = migrationMarker(expected, source);
    if (!constant || constant.change !== id || constant.phase !== applied.phase) {
      findings.push(finding('record-mismatch', id, `${expected} should be the migration of ${label}, but its BG_SCAFFOLD constant ${constant ? `says ${constant.change} ${constant.phase}/${constant.of}` : 'is missing'}`, { file: expected, line: constant?.line ?? null }));
      continue;
    }
    if (!hasCopy) continue;
    const line = firstEdit(readFileSync(join(projectRoot, copy), 'utf8'), source);
    if (line !== null) {
      findings.push(
        finding('record-mismatch', id, `the migration of ${label} was edited by hand: it differs from the copy bg-scaffold rendered (${copy}); restore it from that copy, or carry the edit into the copy if it is deliberate`, {
          file: expected,
          line,
        }),
      );
    }
  }
  return findings;
}

/**
 * The first line (1-based, in `actual`) where a migration departs from the one bg-scaffold
 * rendered, or null when it does not. Two departures are not edits:
 * - layout: the sources are compared with all whitespace taken out (reformatting is not editing);
 * - a completed TODO: the lines of a `todo` block, from its `# >>> bg-scaffold … todo` marker to
 *   its `# <<< bg-scaffold …` marker, are the user's to replace (the TODO asks them to delete the
 *   placeholder and the marker lines), so any text may stand between the text before and after it.
 */
export function firstEdit(rendered: string, actual: string): number | null {
  const renderedLines = rendered.split('\n');
  const todos = findMarkers('', rendered)
    .filter((marker) => marker.kind === 'block' && marker.detail === 'todo' && marker.endLine > marker.line)
    .sort((a, b) => a.line - b.line);
  // The rendered text around the todo blocks, which the file must keep, in order.
  const kept: string[][] = [];
  let from = 0;
  for (const todo of todos) {
    if (todo.line - 1 < from) continue; // nested in the previous block
    kept.push(renderedLines.slice(from, todo.line - 1));
    from = todo.endLine;
  }
  kept.push(renderedLines.slice(from));
  if (keepsInOrder(kept.map((lines) => squash(lines.join('\n'))), squash(actual))) return null;
  return differingLine(kept, actual.split('\n'));
}

const squash = (text: string) => text.replace(/\s+/g, '');

/** True when `text` is `parts` in order, with anything (or nothing) between each two of them. */
function keepsInOrder(parts: string[], text: string): boolean {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (parts.length === 1) return text === first;
  if (!text.startsWith(first)) return false;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at);
    if (found === -1) return false;
    at = found + part.length;
  }
  return text.length - last.length >= at && text.endsWith(last);
}

/**
 * Where to point the user: the first non-blank line that differs from the text before the first
 * todo block, else (reading from the end) from the text after the last one, else the line where
 * the first todo block was.
 */
function differingLine(kept: string[][], actualLines: string[]): number {
  const nonBlank = (lines: string[]) => lines.map((line) => line.trim()).filter(Boolean);
  const head = nonBlank(kept[0]!);
  const whole = kept.length === 1;
  let next = 0;
  let i = 0;
  for (; i < actualLines.length && (whole || next < head.length); i++) {
    const text = actualLines[i]!.trim();
    if (!text) continue;
    if (text !== head[next]) return i + 1;
    next += 1;
  }
  if (whole || next < head.length) return actualLines.length;
  const tail = nonBlank(kept[kept.length - 1]!);
  let back = tail.length - 1;
  for (let j = actualLines.length - 1; j >= i && back >= 0; j--) {
    const text = actualLines[j]!.trim();
    if (!text) continue;
    if (text !== tail[back]) return j + 1;
    back -= 1;
  }
  return Math.min(i + 1, actualLines.length);
}
