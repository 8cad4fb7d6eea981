/**
 * remove-column under `verify`: both releases write the model's other fields; the removed one is
 * never the checked field. While a release still has the field it keeps writing it (the plan's
 * "still reads and writes" of the null-first release), so the previous release, to which it is
 * still NOT NULL, never meets a row without it.
 */
import type { Verification } from '../verification.js';
import type { ChangePlan } from '../shared/types.js';

export function removeColumnVerification(plan: ChangePlan): Verification {
  const removed = String(plan.inputs.field);
  return {
    target: `${plan.app}.${plan.model}`,
    release: () => ({ field: null, fills: [removed] }),
    avoid: [removed],
    staleReadsDeclared: () => false,
  };
}
