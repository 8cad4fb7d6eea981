/** change-column-type under `verify`: both releases use the same name throughout. */
import type { Verification } from '../verification.js';
import type { ChangePlan } from '../shared/types.js';

export function changeColumnTypeVerification(plan: ChangePlan): Verification {
  const field = String(plan.inputs.field);
  // A primary key is exercised by every row created (its identity moves in the swap); the
  // values checked are then those of any plain field.
  const primaryKey = plan.phases.some((phase) =>
    phase.migration?.operations.some((op) => {
      const alter = op.kind === 'state-only' ? op.operations : op.kind === 'django' ? [op.operation] : [];
      return alter.some((state) => state.kind === 'AlterField' && /\bprimary_key=True\b/.test(state.field));
    }),
  );
  return {
    target: `${plan.app}.${plan.model}`,
    release: () => ({ field: primaryKey ? null : field, fills: [] }),
    avoid: [],
    staleReadsDeclared: () => false,
  };
}
