/** `bg-scaffold advance <change>`: the next phase of a change, against the project as it is now. */
import { Command } from 'commander';
import { addCommonOptions, type CommonFlags } from './common-options.js';
import { chooseChangeToAdvance, stageAdvance } from '../commands/advance.js';
import { type CommandContext, runStagingCommand } from './run-command.js';

export function advanceCommand(context: CommandContext): Command {
  const command = new Command('advance')
    .description('apply the next phase of a change, once the previous release is fully rolled out')
    .argument('[change]', 'the change id: a folder of .bg-scaffold/, e.g. order-quantity-to-qty (in a terminal, asked among the changes in flight when left out)');
  addCommonOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'The migration is numbered after the app\'s leaf migration as it is now, and the change record',
      '(.bg-scaffold/<change>/) records the phase as applied.',
      '',
      'Example:',
      '  bg-scaffold advance order-quantity-to-qty --dry-run',
    ].join('\n'),
  );
  return command.action(async (change: string | undefined, flags: CommonFlags) => {
    await runStagingCommand(context, flags, async (common, prompter, hint) =>
      stageAdvance({ ...common, change: change ?? (await chooseChangeToAdvance(common.projectDir, prompter, hint)) }),
    );
  });
}
