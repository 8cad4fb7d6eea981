/**
 * Which database and Django versions each plan shape is proven on by the blue-green matrix
 * (test/matrix). Keep in step with the matrix scenarios: PLAN.md prints this list.
 */
import type { Database } from '../../project/types.js';

const MATRIX = 'Django 5.2 LTS and the newest Django on PostgreSQL 15 (blue-green matrix)';

export function verifiedOn(op: string, strategy: string, database: Database): string[] {
  if (database === 'postgresql') return [MATRIX];
  return [`Not verified on ${database} by the test matrix: review the migrations before production.`];
}
