/**
 * What `bg-scaffold verify` writes and reads in each release of a plan: the model, and the field
 * whose values the two releases' code must both see. Each operation says it from its plan
 * (`<op>/verify.ts`), since only the operation knows which name each release's code uses.
 */
import type { ChangePlan } from './shared/types.js';
import { renameColumnVerification } from './rename-column/verify.js';
import { addColumnVerification } from './add-column/verify.js';
import { removeColumnVerification } from './remove-column/verify.js';
import { dropTableVerification } from './drop-table/verify.js';
import { changeColumnTypeVerification } from './change-column-type/verify.js';
import { schemaOnlyVerification } from './shared/schema-only-verify.js';

/** What one release's code writes on the target model. */
export interface ReleaseUnderVerify {
  /** The field that carries the checked values in this release's model; null: any plain field both releases have. */
  field: string | null;
  /** Fields this release's code sets on every row it creates (a column the release added and must write). */
  fills: string[];
}

export interface Verification {
  /** The model the checks write, `app_label.Model`. */
  target: string;
  /** Release r's code (release 0: the code before the change; release k: phase k's). */
  release(r: number): ReleaseUnderVerify;
  /** Fields never chosen when any plain field would do (the one the change takes away). */
  avoid: string[];
  /** Phase k's plan stamps that the previous release may read values the new one no longer writes. */
  staleReadsDeclared(k: number): boolean;
}

/** The plan's own stamp of stale reads (rename-column --phases 3). */
export function stampsStaleReads(plan: ChangePlan, k: number): boolean {
  return plan.phases.find((p) => p.number === k)?.risks.some((risk) => /^Stale reads/.test(risk)) ?? false;
}

export function verificationOf(plan: ChangePlan): Verification {
  switch (plan.op) {
    case 'rename-column':
      return renameColumnVerification(plan);
    case 'add-column':
      return addColumnVerification(plan);
    case 'remove-column':
      return removeColumnVerification(plan);
    case 'drop-table':
      return dropTableVerification(plan);
    case 'change-column-type':
      return changeColumnTypeVerification(plan);
    case 'set-not-null':
    case 'drop-not-null':
    case 'add-index':
    case 'remove-index':
    case 'add-unique':
    case 'add-check':
    case 'add-foreign-key':
      return schemaOnlyVerification(plan);
    case 'rename-model':
      // The previous release's code names the class Order, this one's Purchase (and Order, until release 2).
      return { ...schemaOnlyVerification(plan), target: `${plan.app}.${plan.model},${plan.app}.${String(plan.inputs.to)}` };
    default:
      throw new Error(`no verification for operation ${plan.op}`);
  }
}
