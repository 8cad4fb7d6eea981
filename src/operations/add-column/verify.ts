/** add-column under `verify`: from release 1 on, the code sets the new field on every row it creates. */
import type { Verification } from '../verification.js';
import type { ChangePlan } from '../shared/types.js';

export function addColumnVerification(plan: ChangePlan): Verification {
  const added = String(plan.inputs.name);
  return {
    target: `${plan.app}.${plan.model}`,
    // The release that adds the field writes it (the plan's TODO for a NOT NULL column); the
    // previous release does not know it and keeps inserting without it.
    release: (r) => ({ field: null, fills: r >= 1 ? [added] : [] }),
    avoid: [added],
    staleReadsDeclared: () => false,
  };
}
