/**
 * `verify` for the operations whose releases run the same code (indexes, constraints, NOT NULL):
 * both releases write the model's plain fields and leave the changed one to the model, which
 * proves that the previous release's reads and writes keep working on every schema.
 */
import type { ChangePlan } from './types.js';
import type { Verification } from '../verification.js';

export function schemaOnlyVerification(plan: ChangePlan): Verification {
  const field = plan.inputs.field;
  return {
    target: `${plan.app}.${plan.model}`,
    release: () => ({ field: null, fills: [] }),
    avoid: typeof field === 'string' ? [field] : [],
    staleReadsDeclared: () => false,
  };
}
