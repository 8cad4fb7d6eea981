/**
 * What a migration's steps need beyond plan.json's data is decided from that data in the plan
 * layer, so that the renderer only views the plan and a plan recorded earlier renders the same.
 */
import { describe, expect, it } from 'vitest';
import { INDEX_LOCK_TIMEOUT, runPythonFunctionName, stepLock, usesModels } from './migration-steps.js';
import type { MigrationOperation } from './types.js';

const lock = { lockTimeout: '1s', retries: 10 };

describe('the steps of a migration', () => {
  it('CREATE INDEX CONCURRENTLY waits longer for open transactions than steps that queue ahead of traffic', () => {
    const index: MigrationOperation = { kind: 'create-index', comment: '', table: 't', column: 'c', suffix: '', opclass: null, unique: false };
    const ddl: MigrationOperation = { kind: 'ddl', comment: '', sql: [], reverseSql: null };
    expect(stepLock(index, lock)).toEqual({ lockTimeout: INDEX_LOCK_TIMEOUT, retries: 10 });
    expect(stepLock(ddl, lock)).toBe(lock);
  });

  it('a RunPython step calls a function named after what it does, or the one its plan named', () => {
    expect(runPythonFunctionName({ kind: 'backfill-orm', comment: '', modelName: 'Order', target: 'qty', source: 'quantity' })).toBe('copy_quantity_to_qty');
    expect(runPythonFunctionName({ kind: 'drop-column-portable', comment: '', table: 'shop_order', column: 'note', reverseAddField: null })).toBe('drop_shop_order_note');
    expect(runPythonFunctionName({ kind: 'drop-table-portable', comment: '', tables: ['shop_order_tags', 'shop_order'] })).toBe('drop_shop_order');
    expect(runPythonFunctionName({ kind: 'backfill-sql-portable', comment: '', functionName: 'fill_order_x', table: 't', pk: 'id', column: 'x', expression: '1' })).toBe('fill_order_x');
    expect(runPythonFunctionName({ kind: 'ddl', comment: '', sql: [], reverseSql: null })).toBeNull();
  });

  it('a migration imports models when any expression it writes names models., nested or rolled back', () => {
    const arrayField = 'django.contrib.postgres.fields.ArrayField(base_field=models.TextField())';
    expect(usesModels([{ kind: 'state-only', comment: '', operations: [{ kind: 'AddField', modelName: 'order', name: 'tags', field: arrayField }] }])).toBe(true);
    expect(usesModels([{ kind: 'backwards-only', comment: '', operation: { kind: 'run-sql', comment: '', sql: [], reverseSql: [], stateOperations: [{ kind: 'AddIndex', modelName: 'order', index: 'models.Index(fields=["a"], name="i")' }] } }])).toBe(true);
    expect(usesModels([{ kind: 'drop-table', comment: '', table: 'shop_order', model: { name: 'Order', fields: [{ name: 'id', field: 'models.BigAutoField(primary_key=True)' }], options: {} } }])).toBe(true);
    expect(usesModels([{ kind: 'state-only', comment: 'models.X in a comment', operations: [{ kind: 'RemoveField', modelName: 'order', name: 'note' }] }])).toBe(false);
    expect(usesModels([{ kind: 'state-only', comment: '', operations: [{ kind: 'AlterField', modelName: 'order', name: 'n', field: 'mymodels.X()' }] }])).toBe(false);
  });
});
