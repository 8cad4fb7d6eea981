/** PLAN.md and plan.json of a change record. */
import type { AppliedPhase, ChangeRecord } from '../record/change-record.js';
import type { ChangePlan } from '../operations/shared/types.js';
import { formatJson, formatMarkdown } from './format.js';
import type { TemplateRenderer } from './pack.js';
import type { PlanPhaseView, PlanTemplateData } from './template-data.js';

/** Mermaid's timeline syntax gives `:` and `#` meaning; keep event text plain. */
function mermaidText(text: string): string {
  return text.replace(/[:;#`"]/g, ' ').replace(/\s+/g, ' ').trim();
}

export async function renderPlanMd(
  renderer: TemplateRenderer,
  plan: ChangePlan,
  applied: AppliedPhase[],
  /** Migration file per phase: the real one once applied, else the expected one. */
  migrationFiles: Record<number, string | null>,
  /** Per phase, the migration it comes after (the rollback target): real once applied, else expected. */
  rollbackTargets: Record<number, string | null> = {},
): Promise<string> {
  const phases = plan.phases.map((phase): PlanPhaseView => {
    const done = applied.find((a) => a.phase === phase.number);
    return {
      rollbackTo: rollbackTargets[phase.number] ?? null,
      ...phase,
      status: done ? `generated ${done.appliedAt.slice(0, 10)}` : phase.number === applied.length + 1 ? 'next: `bg-scaffold advance ' + plan.change + '`' : 'pending',
      migrationFile: migrationFiles[phase.number] ?? null,
      timeline: mermaidText(`${phase.name}  ${phase.title}`),
    };
  });
  const data: PlanTemplateData = { plan, phases, appliedCount: applied.length, title: mermaidText(`${plan.change} (${plan.op}, ${plan.strategy})`) };
  const source = renderer.render('record/PLAN', data);
  return formatMarkdown(source, renderer.resolve('record/PLAN').pack.origin === 'built-in');
}

export async function renderPlanJson(record: ChangeRecord): Promise<string> {
  return formatJson(record);
}
