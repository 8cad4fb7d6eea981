/**
 * The order test files start in: vitest's own (failed first, then the longest by the last run's
 * durations, or the largest file when there is no record), with the blue-green matrix always first. It
 * is by far the longest file, so with two workers the other files run beside it instead of after it,
 * which a fresh clone (no record of durations, and a small matrix test file) would otherwise do.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const FIRST = /[\\/]test[\\/]matrix[\\/]/;

export default class MatrixFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((spec) => FIRST.test(spec.moduleId)), ...sorted.filter((spec) => !FIRST.test(spec.moduleId))];
  }
}
