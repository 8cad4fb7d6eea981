/**
 * Ends a test run with one plain line, `Tests: N passed, N failed, N skipped`, which CI reads
 * (vitest's own summary is coloured and laid out for people).
 *
 * "skipped" means skipped on purpose (`it.skip`, `describe.skipIf`, `it.todo`, `context.skip()`).
 * A test that never started because its suite or module failed around it (a `beforeAll` that threw
 * or timed out, a module that did not load) is counted as failed: vitest reports it as skipped, and a
 * run whose matrix hook timed out would otherwise read "0 failed, 18 skipped". A failure no test
 * carries (an `afterAll` that threw after its tests passed, a module with no test to count, an error
 * outside any test) counts once as failed, so that a failed run never reads "0 failed".
 */
import type { SerializedError } from 'vitest';
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';

export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export function summaryLine(counts: SummaryCounts): string {
  return `Tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export default class SummaryReporter implements Reporter {
  /** Tests that began to run (vitest calls onTestCaseReady as a test starts, skipped on purpose or not). */
  private started = new Set<string>();

  onTestRunStart(): void {
    this.started = new Set();
  }

  onTestCaseReady(test: TestCase): void {
    this.started.add(test.id);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    const counts = countTests(testModules, this.started);
    counts.failed += unhandledErrors.length;
    process.stdout.write(`\n${summaryLine(counts)}\n`);
  }
}

export function countTests(testModules: ReadonlyArray<TestModule>, started: ReadonlySet<string>): SummaryCounts {
  const counts: SummaryCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of testModules) {
    // Suites and the module itself that failed on their own (hooks, collection), and whether a failed test shows it.
    const broken = new Map<TestSuite | TestModule, boolean>();
    for (const entity of [module, ...module.children.allSuites()]) {
      if (entity.errors().length > 0) broken.set(entity, false);
    }
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') {
        counts.failed++;
        for (const owner of enclosing(test)) if (broken.has(owner)) broken.set(owner, true);
      } else {
        const brokenOwner = started.has(test.id) ? undefined : enclosing(test).find((owner) => broken.has(owner));
        if (brokenOwner) {
          counts.failed++;
          broken.set(brokenOwner, true);
        } else {
          counts.skipped++;
        }
      }
    }
    for (const shown of broken.values()) if (!shown) counts.failed++;
    // A module that failed without an error of its own and with no test (should not happen; never green).
    if (module.state() === 'failed' && broken.size === 0 && [...module.children.allTests()].length === 0) counts.failed++;
  }
  return counts;
}

/** The suites around a test, innermost first, and its module. */
function enclosing(test: TestCase): Array<TestSuite | TestModule> {
  const owners: Array<TestSuite | TestModule> = [];
  for (let parent: TestSuite | TestModule = test.parent; ; parent = parent.parent) {
    owners.push(parent);
    if (parent.type === 'module') return owners;
  }
}
