/** rename-column under `verify`: which name each release's code reads and writes. */
import { stampsStaleReads, type Verification } from '../verification.js';
import type { ChangePlan } from '../shared/types.js';

export function renameColumnVerification(plan: ChangePlan): Verification {
  const [from, to] = [String(plan.inputs.field), String(plan.inputs.to)];
  // The copy plan's release 1 adds the new field but still reads the old one (and writes both);
  // every other plan's code switches to the new name in release 1.
  const lastOnOldName = plan.strategy === 'copy' ? 1 : 0;
  return {
    target: `${plan.app}.${plan.model}`,
    release: (r) => ({ field: r <= lastOnOldName ? from : to, fills: [] }),
    avoid: [],
    staleReadsDeclared: (k) => stampsStaleReads(plan, k),
  };
}
