/**
 * The code that still names what a change removes, as `file:line` warnings at generation time.
 * The scan is the one `bg-scaffold check` runs (src/check/references.ts), so the two agree.
 */
import { findReferences, type Reference, type ReferenceTarget } from '../check/references.js';
import type { ChangePlan } from '../operations/shared/types.js';

/** More than this many references are summed up in one last line. */
const SHOWN = 20;

export async function referencesTo(projectRoot: string, targets: ReferenceTarget[], skip: (reference: Reference) => boolean = () => false): Promise<Reference[]> {
  const found = await findReferences(projectRoot, targets);
  return found.filter((reference) => reference.kind !== 'definition' && !skip(reference));
}

/** `shop/admin.py:29: list_display = [...] (Order.note, field-list)`, then a summary line. */
export function referenceWarnings(all: Reference[], what: string, when: string): string[] {
  // One line per source line, however many times it names the target.
  const seen = new Set<string>();
  const references = all.filter((r) => !seen.has(`${r.file}:${r.line}`) && seen.add(`${r.file}:${r.line}`));
  if (references.length === 0) return [];
  const lines = references.slice(0, SHOWN).map((r) => `${r.file}:${r.line}: ${r.text} (${what}, ${r.kind})`);
  const more = references.length > SHOWN ? ` (${references.length - SHOWN} more not shown)` : '';
  return [
    `${references.length} reference${references.length === 1 ? '' : 's'} to ${what} still in the code${more}: remove ${references.length === 1 ? 'it' : 'them'} ${when}; \`bg-scaffold check\` lists them again`,
    ...lines,
  ];
}

export function withWarnings(plan: ChangePlan, warnings: string[]): ChangePlan {
  return warnings.length === 0 ? plan : { ...plan, warnings: [...plan.warnings, ...warnings] };
}
