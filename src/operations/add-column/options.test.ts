/** The add-column questions: the backfill's example is over the user's own model, not the shop's. */
import { describe, expect, it } from 'vitest';
import { field, orderModel } from '../../../test/support/plan-fixtures.js';
import { backfillExample } from './options.js';

describe('the example the backfill question gives', () => {
  it('doubles a number column of the model, else upper-cases a text column, else names a column', () => {
    expect(backfillExample(orderModel())).toBe('quantity * 2');
    expect(backfillExample(orderModel([field('title', 'CharField', { max_length: '200' }), field('rating', 'DecimalField')]))).toBe('rating * 2');
    expect(backfillExample(orderModel([field('author', 'ForeignKey', {}, { column: 'author_id' }), field('title', 'CharField')]))).toBe('upper(title)');
    expect(backfillExample(orderModel([field('author', 'ForeignKey', {}, { column: 'author_id' })]))).toBe('coalesce(author_id, …)');
    expect(backfillExample(orderModel([]))).toBe('a constant');
  });
});
