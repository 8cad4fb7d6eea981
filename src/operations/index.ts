/** Every operation, in the order `--help` lists them. */
import { addColumn } from './add-column/operation.js';
import { changeColumnType } from './change-column-type/operation.js';
import { dropTable } from './drop-table/operation.js';
import { removeColumn } from './remove-column/operation.js';
import { renameColumn } from './rename-column/operation.js';

export const OPERATIONS = [renameColumn, addColumn, removeColumn, dropTable, changeColumnType];
