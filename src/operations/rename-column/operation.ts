/** `rename-column`: the request checked against the project, planned, and the code that must follow named. */
import { readFileSync } from 'node:fs';
import { estimateRows } from '../../project/row-estimate.js';
import { join } from 'node:path';
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import type { StagedChange } from '../../commands/types.js';
import { appsWithInstalled, discoverProject, findField, findModel } from '../../project/discover.js';
import type { DjangoModel } from '../../project/types.js';
import { readChangeRecords } from '../../record/change-record.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { deriveChangeId } from '../shared/names.js';
import { RENAME_COLUMN_HELP, RENAME_COLUMN_OPTIONS } from './options.js';
import { renameColumnPlan } from './plan.js';

export const renameColumn: Operation<typeof RENAME_COLUMN_OPTIONS> = {
  name: 'rename-column',
  description: 'rename a model field and its column without breaking the release that is still serving',
  options: RENAME_COLUMN_OPTIONS,
  help: RENAME_COLUMN_HELP,
  changeId: (answers) => deriveChangeId([answers.model, answers.field, 'to', answers.to]),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [answers.field, answers.to] });
    const model = findModel(app, answers.model);
    const field = findField(model, answers.field, app.label);
    requireInMigrations(app, model, field);
    const plan = renameColumnPlan({
      app,
      apps: appsWithInstalled(facts),
      model,
      field,
      to: answers.to,
      strategy: answers.strategy,
      phases: answers.phases,
      backfill: answers.backfill,
      rowsEstimate: answers.databaseUrl ? await estimateRows(answers.databaseUrl, model.dbTable, facts.root) : null,
      database: common.database,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    // The code must switch to the new name: in this release for db-column and trigger, by the
    // release where the old field leaves the model for copy.
    // The plan rewrites the model's Meta itself: its lines are not the developer's to change.
    const metaLines = plan.phases.some((phase) => phase.modelEdits.some((edit) => edit.kind === 'rename-in-meta')) ? metaBlockLines(facts.root, model) : null;
    const inMeta = (file: string, line: number) => metaLines !== null && file === model.file && line >= metaLines.first && line <= metaLines.last;
    const references = await referencesTo(facts, [{ app: app.label, model: model.name, name: field.name, kind: 'field' }], (r) => inMeta(r.file, r.line));
    const retiredIn = plan.phases.find((phase) => phase.modelEdits.some((edit) => edit.kind === 'remove-field' || (edit.kind === 'edit-field' && edit.rename)));
    const when =
      plan.strategy === 'copy'
        ? `from the code before release ${retiredIn?.number ?? plan.phases.length} (reads switch to \`${answers.to}\` in release 2)`
        : `in this release: its code uses \`${answers.to}\``;
    return { plan: withWarnings(plan, referenceWarnings(references, `${model.name}.${field.name}`, when)) };
  },
};

export type RenameColumnRequest = OperationRequest<typeof RENAME_COLUMN_OPTIONS>;

/** Discovers the project and stages phase 1 of a rename (tests and scripts; the CLI discovers once and calls stageOperation). */
export async function stageRenameColumn(request: RenameColumnRequest): Promise<StagedChange> {
  return stageOperation(renameColumn, await discoverProject(request.projectDir, request), request);
}

/** The lines of the model's `class Meta:` block, as Django reported where it starts. */
function metaBlockLines(root: string, model: DjangoModel): { first: number; last: number } | null {
  const first = model.django?.meta.line;
  if (!first) return null;
  const lines = readFileSync(join(root, model.file), 'utf8').split(/\r?\n/);
  const indent = /^\s*/.exec(lines[first - 1] ?? '')![0].length;
  let last = first;
  for (let index = first; index < lines.length; index++) {
    const text = lines[index]!;
    if (text.trim() === '') continue;
    if (/^\s*/.exec(text)![0].length <= indent) break;
    last = index + 1;
  }
  return { first, last };
}
