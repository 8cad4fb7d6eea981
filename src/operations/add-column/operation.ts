/** `bg-scaffold add-column`: discover → plan → render → stage. The CLI commits or prints the diff. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BgScaffoldError } from '../../errors.js';
import { addColumnPlan, type AddColumnStrategy } from './plan.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { deriveChangeId } from '../shared/names.js';
import { detectDefaultAutoFields } from '../../project/auto-field.js';
import { appsWithInstalled, discoverProject, findApp, findModel } from '../../project/discover.js';
import { readChangeRecords, recordDir } from '../../record/change-record.js';
import { resolveCommon } from '../../commands/options.js';
import { stageNewChange } from '../rename-column/operation.js';
import type { CommonOptions, StagedChange } from '../../commands/types.js';

export interface AddColumnRequest extends CommonOptions {
  app: string;
  model: string;
  /** The new field's name. */
  name: string;
  /** `CharField`, `IntegerField`, `ForeignKey`, ... (checked by the playbook). */
  type: string;
  maxLength?: number;
  maxDigits?: number;
  decimalPlaces?: number;
  to?: string;
  onDelete?: string;
  relatedName?: string;
  null?: boolean;
  default?: string;
  dbIndex?: boolean;
  unique?: boolean;
  backfillSql?: string;
  strategy?: AddColumnStrategy;
  /** Overrides the derived change id (`order-add-priority`). */
  changeId?: string;
}

export async function stageAddColumn(req: AddColumnRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const common = resolveCommon(req, facts);
  const app = findApp(facts, req.app);
  // Checked before the model and the name: after phase 1 the field exists, and "already a field" would mislead.
  const change = req.changeId ?? deriveChangeId([req.model, 'add', req.name]);
  if (existsSync(join(facts.root, recordDir(change)))) {
    throw new BgScaffoldError(`change "${change}" already exists in ${recordDir(change)}/; run "bg-scaffold advance ${change}" to continue it, or pass --change-id to start another`);
  }
  requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: req.model, fields: [req.name] });
  const model = findModel(app, req.model);
  requireInMigrations(app, model);
  const plan = addColumnPlan({
    apps: appsWithInstalled(facts),
    app,
    model,
    name: req.name,
    type: req.type,
    maxLength: req.maxLength,
    maxDigits: req.maxDigits,
    decimalPlaces: req.decimalPlaces,
    to: req.to,
    onDelete: req.onDelete,
    relatedName: req.relatedName,
    null: req.null === true,
    default: req.default,
    dbIndex: req.dbIndex === true,
    unique: req.unique === true,
    backfillSql: req.backfillSql,
    strategy: req.strategy,
    database: common.database,
    djangoVersion: req.djangoVersion ?? facts.djangoVersion,
    defaultAutoFields: await detectDefaultAutoFields(facts.root, facts.apps),
    lock: common.lock,
    batchSize: common.batchSize,
    changeId: req.changeId,
  });
  return stageNewChange(facts, plan, common);
}
