/**
 * The order test files start in: vitest's own (failed first, then the longest by the last run's
 * durations, or the largest file when there is no record), with the blue-green matrix always first,
 * then `verify` on the examples and the field sweep. They are the longest files, so with two workers
 * the other files run beside them instead of after them, which a fresh clone (no record of durations,
 * and small test files for some) would otherwise do.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The longest files, longest first: the matrix, verify on the examples, then the field sweep. */
const FIRST = [/[\\/]test[\\/]matrix[\\/]/, /[\\/]test[\\/]verify[\\/]/, /[\\/]test[\\/]sweep[\\/]/];

export default class MatrixFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = FIRST.findIndex((pattern) => pattern.test(spec.moduleId));
      return index < 0 ? FIRST.length : index;
    };
    // A stable sort: the rest keep vitest's order.
    return sorted.map((spec, index) => ({ spec, index })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.index - b.index).map(({ spec }) => spec);
  }
}
