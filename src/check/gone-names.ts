/**
 * Which names a change has taken away from the code once some of its phases are applied, read
 * from the plan's data alone: the Django state operations of the applied phases' migrations
 * (`RenameField` takes the old name away, `RemoveField` the field, `DeleteModel` and
 * `RenameModel` the model) and their model edits (`edit-field` with a rename, `remove-field`).
 * Any operation, present or future, that carries such state operations is covered, because the
 * walk looks for them wherever they nest; operations that run only backwards are skipped.
 */
import type { ChangePlan, Phase } from '../operations/shared/types.js';
import type { ReferenceTarget } from './references.js';

export interface GoneName {
  target: ReferenceTarget;
  /** The phase whose migration took it away. */
  phase: number;
  /** `renamed to `qty``, `removed from the model`, `deleted` (a model): for messages. */
  how: string;
}

const RELATION_FIELD = /\b(ForeignKey|OneToOneField|ForeignObject)\(/;

/** Names gone from the code after the first `appliedCount` phases of `plan`. */
export function goneNames(plan: ChangePlan, appliedCount: number): GoneName[] {
  const gone = new Map<string, GoneName>();
  const relationFields = new Set<string>();
  const className = classNames(plan);
  const key = (kind: 'field' | 'model', model: string, name: string): string => `${kind}:${model}:${name}`;

  for (const phase of plan.phases) {
    for (const op of stateOperations(phase)) {
      if ((op.kind === 'AddField' || op.kind === 'AlterField') && typeof op.field === 'string' && RELATION_FIELD.test(op.field)) {
        relationFields.add(String(op.name));
      }
    }
  }

  for (const phase of plan.phases.filter((p) => p.number <= appliedCount).sort((a, b) => a.number - b.number)) {
    const takeAway = (kind: 'field' | 'model', model: string, name: string, how: string): void => {
      const k = key(kind, model, name);
      if (!gone.has(k)) gone.set(k, { target: { app: plan.app, model, name, kind }, phase: phase.number, how });
    };
    const bringBack = (kind: 'field' | 'model', model: string, name: string): void => void gone.delete(key(kind, model, name));

    for (const op of stateOperations(phase)) {
      const model = className(String(op.modelName ?? op.name ?? plan.model));
      switch (op.kind) {
        case 'RenameField':
          takeAway('field', model, String(op.oldName), `renamed to \`${String(op.newName)}\``);
          bringBack('field', model, String(op.newName));
          break;
        case 'RemoveField':
          takeAway('field', model, String(op.name), 'removed from the model');
          break;
        case 'AddField':
          bringBack('field', model, String(op.name));
          break;
        case 'DeleteModel':
          takeAway('model', model, model, 'deleted');
          break;
        case 'RenameModel': {
          const oldName = className(String(op.oldName ?? op.old_name));
          // An alias the phase adds keeps the old name working in code: it is gone once the alias is.
          const aliased = phase.modelEdits.some((edit) => edit.kind === 'add-alias' && edit.alias === oldName);
          if (!aliased) takeAway('model', oldName, oldName, `renamed to \`${String(op.newName ?? op.new_name)}\``);
          break;
        }
        case 'CreateModel':
          bringBack('model', model, model);
          break;
      }
    }
    for (const edit of phase.modelEdits) {
      if (edit.kind === 'edit-field' && edit.rename) takeAway('field', edit.model, edit.field, `renamed to \`${edit.rename}\``);
      if (edit.kind === 'remove-field') takeAway('field', edit.model, edit.field, 'removed from the model');
      if (edit.kind === 'remove-alias') takeAway('model', edit.alias, edit.alias, 'renamed, and its alias removed');
    }
  }

  // A removed relation also takes its attname away: `order.customer_id`, `customer_id=`.
  const result = [...gone.values()];
  for (const entry of [...result]) {
    const { target } = entry;
    if (target.kind !== 'field') continue;
    const renamedTo = /^renamed to `(.+)`$/.exec(entry.how)?.[1];
    if (relationFields.has(target.name) || (renamedTo !== undefined && relationFields.has(renamedTo))) {
      result.push({ ...entry, target: { ...target, name: `${target.name}_id` } });
    }
  }
  return result.sort((a, b) => a.phase - b.phase || a.target.name.localeCompare(b.target.name));
}

type LooseOperation = { kind: string; [key: string]: unknown };

const STATE_KINDS = new Set(['RenameField', 'RemoveField', 'AddField', 'AlterField', 'DeleteModel', 'RenameModel', 'CreateModel']);

/** Every Django state operation in a phase's migration, in order, wherever it nests. */
export function stateOperations(phase: Phase): LooseOperation[] {
  const found: LooseOperation[] = [];
  const visit = (value: unknown, databaseOnly: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, databaseOnly);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const op = value as LooseOperation;
    if (op.kind === 'backwards-only') return;
    if (typeof op.kind === 'string' && STATE_KINDS.has(op.kind)) {
      if (!databaseOnly) found.push(op);
      return;
    }
    for (const [field, child] of Object.entries(op)) {
      // `separate` lists database-side operations apart from state-side ones.
      visit(child, databaseOnly || field === 'databaseOperations');
    }
  };
  visit(phase.migration?.operations ?? [], false);
  return found;
}

/** Migration operations name models in lower case (`order`); messages and scans want `Order`. */
function classNames(plan: ChangePlan): (name: string) => string {
  const known = new Map<string, string>([[plan.model.toLowerCase(), plan.model]]);
  for (const phase of plan.phases) for (const edit of phase.modelEdits) if ('model' in edit) known.set(edit.model.toLowerCase(), edit.model);
  return (name) => known.get(name.toLowerCase()) ?? name;
}
