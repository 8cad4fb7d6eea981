/**
 * Runs a generator of plopfile.ts through node-plop and returns the change it staged. The
 * plopfile is handed to node-plop as a function rather than loaded by path: node-plop imports a
 * path natively, which would miss the TypeScript source under vitest. Both load on first use,
 * so that `--help` and usage errors stay fast.
 */
import type { AdvanceRequest, RenameColumnRequest, StagedChange } from '../commands/types.js';
import type { GeneratorName, StageSlot } from '../../plopfile.js';
import type { AddColumnRequest } from '../operations/add-column/operation.js';
import type { DropTableRequest } from '../operations/drop-table/operation.js';
import type { RemoveColumnRequest } from '../operations/remove-column/operation.js';

export async function stageWithGenerator(name: 'rename-column', request: RenameColumnRequest): Promise<StagedChange>;
export async function stageWithGenerator(name: 'advance', request: AdvanceRequest): Promise<StagedChange>;
export async function stageWithGenerator(name: 'add-column', request: AddColumnRequest): Promise<StagedChange>;
export async function stageWithGenerator(name: 'remove-column', request: RemoveColumnRequest): Promise<StagedChange>;
export async function stageWithGenerator(name: 'drop-table', request: DropTableRequest): Promise<StagedChange>;
export async function stageWithGenerator(name: GeneratorName, request: RenameColumnRequest | AdvanceRequest | AddColumnRequest | RemoveColumnRequest | DropTableRequest): Promise<StagedChange> {
  const [{ default: nodePlop }, { default: bgScaffoldGenerators, RUN_SLOT }] = await Promise.all([
    import('node-plop'),
    import('../../plopfile.js'),
  ]);
  const plop = await nodePlop('', { destBasePath: request.projectDir, force: false });
  bgScaffoldGenerators(plop);
  const slot: StageSlot = {};
  const { failures } = await plop.getGenerator(name).runActions({ ...request, [RUN_SLOT]: slot });
  if (slot.error !== undefined) throw slot.error;
  if (!slot.result) {
    throw new Error(`generator ${name} staged nothing: ${failures.map((failure) => failure.error).join('; ') || 'no action ran'}`);
  }
  return slot.result;
}
