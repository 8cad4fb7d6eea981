/** Every operation, in the order `--help` lists them. */
import { addColumn } from './add-column/operation.js';
import { changeColumnType } from './change-column-type/operation.js';
import { dropNotNull } from './drop-not-null/operation.js';
import { dropTable } from './drop-table/operation.js';
import { setNotNull } from './set-not-null/operation.js';
import { addIndex } from './add-index/operation.js';
import { removeIndex } from './remove-index/operation.js';
import { addUnique } from './add-unique/operation.js';
import { addCheck } from './add-check/operation.js';
import { addForeignKey } from './add-foreign-key/operation.js';
import { renameModel } from './rename-model/operation.js';
import { removeColumn } from './remove-column/operation.js';
import { renameColumn } from './rename-column/operation.js';

export const OPERATIONS = [renameColumn, addColumn, removeColumn, dropTable, changeColumnType, setNotNull, dropNotNull, addIndex, removeIndex, addUnique, addCheck, addForeignKey, renameModel];
