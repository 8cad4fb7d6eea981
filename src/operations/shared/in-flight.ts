/**
 * Changes in flight: a change whose phases are not all applied holds the fields it works on (a
 * rename both the old and the new name, whose columns both exist until it is done) and, for
 * drop-table, the whole model. A second change on what one holds would plan against a state that
 * the first one is still changing (its dual write never added, a column dropped under a sync
 * trigger), so it waits until the first is finished. Pure: the records are read by the caller.
 */
import { fail } from '../../errors.js';
import type { ChangeRecord } from '../../record/change-record.js';

/** What a new change works on: a model's fields, or the whole model (drop-table). */
export interface ChangeTarget {
  app: string;
  model: string;
  /** Names of the fields the new change reads, renames, adds or removes; ignored when `wholeModel`. */
  fields: string[];
  wholeModel?: boolean;
}

/** The fields of its model a change holds until it is complete, or `'model'` for the whole model. */
export function heldFields(record: ChangeRecord): string[] | 'model' {
  const { op, inputs } = record.plan;
  const names = (...keys: string[]) => keys.map((key) => inputs[key]).filter((value): value is string => typeof value === 'string');
  switch (op) {
    case 'rename-column':
      return names('field', 'to');
    case 'add-column':
      return names('name');
    case 'remove-column':
    case 'change-column-type':
    case 'set-not-null':
    case 'drop-not-null':
    case 'add-index':
    case 'remove-index':
    case 'add-unique':
    case 'add-foreign-key':
      return names('field');
    case 'drop-table':
    case 'rename-model':
      return 'model';
    default:
      return [];
  }
}

/** Refuses a new change on a field or model that a change in flight holds, naming that change. */
export function requireNotInFlight(records: ChangeRecord[], target: ChangeTarget): void {
  for (const record of records) {
    const { plan } = record;
    const applied = record.applied.length;
    if (applied >= plan.phases.length || plan.app !== target.app || plan.model !== target.model) continue;
    const held = heldFields(record);
    const where =
      held === 'model' || target.wholeModel
        ? target.model
        : target.fields.filter((name) => held.includes(name)).map((name) => `${target.model}.${name}`)[0];
    if (!where) continue;
    fail(
      `${where} is being changed by change ${plan.change} (${plan.op}, phase ${applied}/${plan.phases.length} generated); ` +
        `finish it with \`bg-scaffold advance ${plan.change}\` first`,
    );
  }
}
