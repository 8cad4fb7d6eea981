/** A phase's effect on a models file: earlier code blocks out, this phase's model edits and code blocks in. */
import type { ChangePlan, Phase } from '../operations/shared/types.js';
import { insertCodeBlock, removeCodeBlocks } from './code-blocks.js';
import { applyModelEdits } from './model-edits.js';
import type { TemplateRenderer } from './pack.js';
import type { SnippetContext } from './template-data.js';

export function applyPhaseToModels(source: string, file: string, plan: ChangePlan, phase: Phase, renderer: TemplateRenderer): string {
  const marker = { change: plan.change, phase: phase.number, of: phase.of };
  let result = removeCodeBlocks(source, file, plan.change).source;
  result = applyModelEdits(result, file, phase.modelEdits, marker);
  for (const block of phase.codeBlocks) {
    // The block is indented into the class or method: leave room for that within 88 columns.
    const depth = { 'before-class': 0, 'class-body-end': 1, 'method-start': 2 }[block.anchor];
    // Snippet data is declared per template in template-data.ts (TemplateDataByName).
    const data = { ...block.data, ...({ marker, plan, phase } satisfies SnippetContext) };
    const body = renderer.renderPython(block.template, data, `${block.role}.py`, 88 - 4 * depth).trimEnd();
    result = insertCodeBlock(result, file, { model: block.model, anchor: block.anchor, method: block.method, body }, { ...marker, role: block.role });
  }
  return result;
}
