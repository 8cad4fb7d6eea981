/**
 * The code that still names what a change removes, as `file:line` warnings at generation time.
 * The scan and the attribution are the ones `bg-scaffold check` runs (src/check/references.ts), and
 * both count one reference per source line and name, so the two agree.
 */
import { installedModelsOf } from '../check/installed-models.js';
import { findReferences, type Reference, type ReferenceTarget } from '../check/references.js';
import type { ProjectFacts } from '../project/types.js';
import type { ChangePlan } from '../operations/shared/types.js';

/** More than this many references are summed up in one last line. */
const SHOWN = 20;

export async function referencesTo(
  facts: ProjectFacts,
  targets: ReferenceTarget[],
  skip: (reference: Reference) => boolean = () => false,
  /** Files as the change being staged leaves them, read instead of the disk. */
  staged?: ReadonlyMap<string, string>,
): Promise<Reference[]> {
  // A relation's attname (`customer_id`) goes with it, as `check` reads it from the plan; the
  // installed apps' models Django reported are other models that may have the name, and the
  // template folders it reported hold templates whatever their names, as in `check`.
  const found = await findReferences(facts.root, targets, {
    attnames: true,
    installedModels: installedModelsOf(facts.externalModels),
    templateDirs: facts.templateDirs,
    staged,
  });
  return found.filter((reference) => reference.kind !== 'definition' && !skip(reference));
}

/**
 * `shop/admin.py:29: list_display = [...] (Order.note, field-list)`, then a summary line. One line per
 * source line, however many times it names the target: `bg-scaffold check` counts the same way (one
 * finding per line and name). A line whose references are all possible (the receiver is unknown and
 * another model has the name) says so; references attributed to another model are never listed.
 */
export function referenceWarnings(all: Reference[], what: string, when: string): string[] {
  const byLine = new Map<string, Reference[]>();
  for (const reference of all) {
    if (reference.certainty === 'dropped') continue;
    const key = `${reference.file}:${reference.line}`;
    byLine.set(key, [...(byLine.get(key) ?? []), reference]);
  }
  const lines = [...byLine.values()].map((refs) => ({ first: refs[0]!, possible: refs.every((ref) => ref.certainty === 'possible') }));
  if (lines.length === 0) return [];
  const shown = lines.slice(0, SHOWN).map(({ first: r, possible }) => `${r.file}:${r.line}: ${r.text} (${what}, ${r.kind}${possible ? ', possible' : ''})`);
  const more = lines.length > SHOWN ? ` (${lines.length - SHOWN} more not shown)` : '';
  const possible = lines.filter((line) => line.possible).length;
  const possibleNote = possible > 0 ? `, ${possible} of them possible (another model has the name too)` : '';
  return [
    `${lines.length} reference${lines.length === 1 ? '' : 's'} to ${what} still in the code${more}${possibleNote}: remove ${lines.length === 1 ? 'it' : 'them'} ${when}; \`bg-scaffold check\` lists them again`,
    ...shown,
  ];
}

export function withWarnings(plan: ChangePlan, warnings: string[]): ChangePlan {
  return warnings.length === 0 ? plan : { ...plan, warnings: [...plan.warnings, ...warnings] };
}
