/** drop-table under `verify`: the previous release still writes the model; the new one has no code for it. */
import type { Verification } from '../verification.js';
import type { ChangePlan } from '../shared/types.js';

export function dropTableVerification(plan: ChangePlan): Verification {
  return {
    target: `${plan.app}.${plan.model}`,
    release: () => ({ field: null, fills: [] }),
    avoid: [],
    staleReadsDeclared: () => false,
  };
}
