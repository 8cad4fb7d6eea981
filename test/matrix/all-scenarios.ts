/**
 * Every matrix scenario, by operation. Each operation keeps its scenarios in its own module
 * (`scenarios-<op>.ts`) and adds one line here.
 */
import type { Scenario } from './matrix.js';
import { NEGATIVE_CONTROLS, SCENARIOS as RENAME_COLUMN } from './scenarios.js';

export const POSITIVE_SCENARIOS: Scenario[] = [...RENAME_COLUMN];

export { NEGATIVE_CONTROLS };
