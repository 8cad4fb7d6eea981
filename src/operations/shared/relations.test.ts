/** What the database must do on delete once a relation's Python on_delete no longer runs. */
import { describe, expect, it } from 'vitest';
import { onDeleteSql } from './relations.js';

describe('on_delete in the database', () => {
  it('CASCADE and SET_NULL become ON DELETE actions, the refusing handlers a plain constraint, the rest nothing', () => {
    expect(onDeleteSql('CASCADE')).toBe('CASCADE');
    expect(onDeleteSql('SET_NULL')).toBe('SET NULL');
    expect(['PROTECT', 'RESTRICT', 'DO_NOTHING'].map(onDeleteSql)).toEqual(['NO ACTION', 'NO ACTION', 'NO ACTION']);
    expect(onDeleteSql('SET_DEFAULT')).toBeNull();
    expect(onDeleteSql(null)).toBeNull();
  });
});
