import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../errors.js';
import { requireNotInFlight, type ChangeTarget } from './in-flight.js';
import type { ChangePlan, Operation } from './types.js';
import type { ChangeRecord } from '../../record/change-record.js';

/** A change record as plan.json holds it, with only what in-flight checks read. */
function record(change: string, op: Operation, inputs: ChangePlan['inputs'], applied: number, phases: number, model = 'Book'): ChangeRecord {
  const plan = { schemaVersion: 1, change, op, app: 'library', model, inputs, phases: Array.from({ length: phases }, (_, i) => ({ number: i + 1 })) } as unknown as ChangePlan;
  return { plan, applied: Array.from({ length: applied }, (_, i) => ({ phase: i + 1, migration: null, after: null, appliedAt: '2026-01-01T00:00:00.000Z' })) };
}

const renamePages = record('book-pages-to-page-count', 'rename-column', { app: 'library', model: 'Book', field: 'pages', to: 'page_count' }, 1, 4);
const on = (fields: string[], extra: Partial<ChangeTarget> = {}): ChangeTarget => ({ app: 'library', model: 'Book', fields, ...extra });
const attempt = (records: ChangeRecord[], target: ChangeTarget) => () => requireNotInFlight(records, target);

describe('a new change on what a change in flight holds', () => {
  it('is refused on the old name of a rename in flight, naming the change and how to finish it', () => {
    expect(attempt([renamePages], on(['pages', 'page_total']))).toThrow(BgScaffoldError);
    expect(attempt([renamePages], on(['pages', 'page_total']))).toThrow(
      'Book.pages is being changed by change book-pages-to-page-count (rename-column, phase 1/4 generated); finish it with `bg-scaffold advance book-pages-to-page-count` first',
    );
  });

  it('is refused on the new name of a rename in flight', () => {
    expect(attempt([renamePages], on(['page_count', 'page_total']))).toThrow(/Book\.page_count is being changed by change book-pages-to-page-count/);
    // add-column of the name the rename gives, or remove-column of it.
    expect(attempt([renamePages], on(['page_count']))).toThrow(/book-pages-to-page-count/);
  });

  it('is refused on a field that add-column or remove-column in flight holds', () => {
    const adding = record('book-add-rating', 'add-column', { name: 'rating' }, 1, 2);
    const removing = record('remove-book-summary', 'remove-column', { field: 'summary' }, 2, 3);
    expect(attempt([adding], on(['rating', 'stars']))).toThrow(/Book\.rating is being changed by change book-add-rating \(add-column, phase 1\/2 generated\)/);
    expect(attempt([removing], on(['summary']))).toThrow(/Book\.summary is being changed by change remove-book-summary \(remove-column, phase 2\/3 generated\)/);
  });

  it('is refused on any field of a model that drop-table in flight is dropping', () => {
    const dropping = record('drop-book', 'drop-table', { model: 'Book' }, 1, 2);
    expect(attempt([dropping], on(['title']))).toThrow(/^Book is being changed by change drop-book \(drop-table, phase 1\/2 generated\)/);
  });

  it('drop-table is refused while any change on the model is in flight', () => {
    expect(attempt([renamePages], on([], { wholeModel: true }))).toThrow(/^Book is being changed by change book-pages-to-page-count/);
  });

  it('is accepted on other fields, other models and after the change is complete', () => {
    expect(attempt([renamePages], on(['title', 'headline']))).not.toThrow();
    expect(attempt([renamePages], { app: 'library', model: 'Loan', fields: ['pages'] })).not.toThrow();
    expect(attempt([renamePages], { app: 'other', model: 'Book', fields: ['pages'] })).not.toThrow();
    const done = record('book-pages-to-page-count', 'rename-column', { field: 'pages', to: 'page_count' }, 4, 4);
    expect(attempt([done], on(['page_count', 'page_total']))).not.toThrow();
    expect(attempt([done], on([], { wholeModel: true }))).not.toThrow();
  });
});
