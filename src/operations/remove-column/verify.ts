/** remove-column under `verify`: both releases write the model's other fields; the removed one is never the checked field. */
import type { Verification } from '../verification.js';
import type { ChangePlan } from '../shared/types.js';

export function removeColumnVerification(plan: ChangePlan): Verification {
  return {
    target: `${plan.app}.${plan.model}`,
    release: () => ({ field: null, fills: [] }),
    avoid: [String(plan.inputs.field)],
    staleReadsDeclared: () => false,
  };
}
