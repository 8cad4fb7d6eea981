/**
 * Every matrix scenario, by operation. Each operation keeps its scenarios in its own module
 * (`scenarios-<op>.ts`) and adds one line here.
 */
import type { Scenario } from './matrix.js';
import { NEGATIVE_CONTROLS as ADD_COLUMN_NEGATIVE, SCENARIOS as ADD_COLUMN } from './scenarios-add-column.js';
import { NEGATIVE_CONTROLS as RENAME_NEGATIVE, SCENARIOS as RENAME_COLUMN } from './scenarios.js';
import { SCENARIOS as WITH_PACKS } from './scenarios-packs.js';
import { SCENARIOS as CHANGE_COLUMN_TYPE } from './scenarios-change-column-type.js';
import { NEGATIVE_CONTROLS as SCHEMA_NEGATIVE, SCENARIOS as SCHEMA_CHANGES } from './scenarios-schema-changes.js';
import { NEGATIVE_CONTROLS as REMOVE_NEGATIVE, SCENARIOS as REMOVE } from './scenarios-remove.js';
import { NEGATIVE_CONTROLS as ZOO_NEGATIVE, SCENARIOS as ON_THE_ZOO } from './scenarios-zoo.js';

export const POSITIVE_SCENARIOS: Scenario[] = [...RENAME_COLUMN, ...ADD_COLUMN, ...WITH_PACKS, ...REMOVE, ...ON_THE_ZOO, ...CHANGE_COLUMN_TYPE, ...SCHEMA_CHANGES];

export const NEGATIVE_CONTROLS: Scenario[] = [...RENAME_NEGATIVE, ...ADD_COLUMN_NEGATIVE, ...REMOVE_NEGATIVE, ...ZOO_NEGATIVE, ...SCHEMA_NEGATIVE];
