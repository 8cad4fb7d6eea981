/** What `bg-scaffold check` reports: findings, each tied to a change and, where it can be, to file:line. */

export type Rule =
  /** Rule 1: code still refers to a name an applied phase took away. */
  | 'reference'
  /** Rule 2: two phases of one change were added since --since: they would ship in one release. */
  | 'same-release'
  /** Rule 3: the change record and the files disagree. */
  | 'record-mismatch'
  /** Rule 4: a change has waited past --max-age in a phase that leaves work pending. */
  | 'overdue'
  /** Rule 5: a runtime copy in a migrations folder is older than bg-scaffold's (with no current one beside it), edited, or newer. */
  | 'stale-runtime';

/** The `change` of a finding that belongs to no change (stale-runtime). */
export const NO_CHANGE = '-';

export interface Finding {
  rule: Rule;
  /** The change it is about, or `-` (NO_CHANGE) for a finding about the project's files alone. */
  change: string;
  /** Relative posix path, or null when the finding is about something missing. */
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
  /** The source line, for references. */
  text?: string;
  /**
   * References only: `certain` (attributed to the changed model, or the name is a field of no other
   * model) fails the gate; `possible` (the receiver is unknown and other models have the name) is
   * listed, and fails only under --strict; `dropped` (another model's) is listed only with --explain.
   */
  certainty?: 'certain' | 'possible' | 'dropped';
  /** References only: why that certainty, in a few words. */
  reason?: string;
}

export function finding(
  rule: Rule,
  change: string,
  message: string,
  at: { file?: string | null; line?: number | null; column?: number | null; text?: string; certainty?: Finding['certainty']; reason?: string } = {},
): Finding {
  return {
    rule,
    change,
    file: at.file ?? null,
    line: at.line ?? null,
    column: at.column ?? null,
    message,
    ...(at.text === undefined ? {} : { text: at.text }),
    ...(at.certainty === undefined ? {} : { certainty: at.certainty }),
    ...(at.reason === undefined ? {} : { reason: at.reason }),
  };
}

/** Whether a finding fails the gate: every finding but a possible reference, which fails only when strict. */
export function isFailing(f: Finding, strict: boolean): boolean {
  if (f.certainty === 'dropped') return false;
  return f.certainty !== 'possible' || strict;
}

/** `shop/models.py:57:37`, `shop/models.py:57`, `shop/models.py`, or `-`. */
export function location(f: Pick<Finding, 'file' | 'line' | 'column'>): string {
  if (!f.file) return '-';
  if (f.line === null) return f.file;
  return f.column === null ? `${f.file}:${f.line}` : `${f.file}:${f.line}:${f.column}`;
}
