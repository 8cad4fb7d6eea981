/**
 * Defaults for the options every command shares, resolved against the project's facts and its
 * config (src/project/config.ts): a flag wins over the config, the config over bg-scaffold's default.
 */
import { fail } from '../errors.js';
import { readProjectConfig } from '../project/config.js';
import type { Database, ProjectFacts } from '../project/types.js';
import type { LockSettings } from '../operations/shared/types.js';
import type { TemplatePack } from '../render/pack.js';
import { resolveTemplatePacks } from '../render/pack-sources.js';
import type { CommonOptions } from './types.js';

export const DEFAULT_LOCK: LockSettings = { lockTimeout: '1s', retries: 10 };
export const DEFAULT_BATCH_SIZE = 10_000;

export interface ResolvedCommon {
  database: Database;
  lock: LockSettings;
  batchSize: number;
  /** Template packs, first match wins: --pack, project config, .bg-scaffold/templates/, built-in. */
  packs: TemplatePack[];
}

/** The database the plans target: --database, else what the settings say, else PostgreSQL. */
export function plannedDatabase(options: Pick<CommonOptions, 'database'>, facts: Pick<ProjectFacts, 'database'>): Database {
  return options.database ?? facts.database ?? 'postgresql';
}

export function resolveCommon(options: CommonOptions, facts: ProjectFacts): ResolvedCommon {
  const config = readProjectConfig(facts.root);
  const lockTimeout = options.lockTimeout ?? config.lockTimeout ?? DEFAULT_LOCK.lockTimeout;
  if (!/^\d+(ms|s|min)?$/.test(lockTimeout)) fail(`--lock-timeout "${lockTimeout}" is not an interval like 1s or 500ms`);
  const retries = options.lockRetries ?? config.lockRetries ?? DEFAULT_LOCK.retries;
  if (!Number.isInteger(retries) || retries < 1) fail(`--lock-retries must be a whole number of at least 1`);
  const batchSize = options.batchSize ?? config.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`--batch-size must be a whole number of at least 1`);
  return {
    database: plannedDatabase(options, facts),
    lock: { lockTimeout, retries },
    batchSize,
    packs: resolveTemplatePacks({ flags: options.packs ?? [], config, projectDir: facts.root }),
  };
}
