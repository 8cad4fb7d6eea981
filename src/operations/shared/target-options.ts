/** The options that name what an operation changes (app, model, field) and its change record, shared by the operations. */
import { BgScaffoldError, fail } from '../../errors.js';
import type { DjangoField, DjangoModel } from '../../project/types.js';
import { type AskContext, text } from '../options.js';

export function appOption() {
  return text({
    flag: '--app <label>',
    description: 'app label of the model, e.g. shop',
    required: 'the app label',
    ask: async ({ facts, prompter }: AskContext) => {
      const apps = facts.apps.filter((app) => app.models.some((model) => !model.abstract));
      if (apps.length === 0) fail(`no app with models found in ${facts.root}; pass --app`);
      return prompter.select({ message: 'App', choices: apps.map((app) => ({ name: app.label, value: app.label, description: app.dir })) });
    },
  });
}

/** `refuse` gives the reason a model cannot be picked (shown beside it), or undefined. */
export function modelOption<const R extends string>(words: { description: string; required: R; message: string; refuse?: (model: DjangoModel, context: AskContext) => string | undefined }) {
  return text({
    flag: '--model <name>',
    description: words.description,
    required: words.required,
    ask: async (context: AskContext) => {
      const app = context.app();
      const models = app.models.filter((model) => !model.abstract);
      if (models.length === 0) fail(`app "${app.label}" has no concrete models; pass --app`);
      return context.prompter.select({
        message: words.message,
        choices: models.map((model) => ({ name: model.name, value: model.name, description: model.file, disabled: words.refuse?.(model, context) })),
      });
    },
  });
}

/** `check` throws the BgScaffoldError that says why a field cannot be picked. */
export function fieldOption<const R extends string>(words: { description: string; required: R; message: string; check: (model: DjangoModel, field: DjangoField) => void }) {
  return text({
    flag: '--field <name>',
    description: words.description,
    required: words.required,
    ask: async (context: AskContext) => {
      const model = context.model();
      return context.prompter.search({
        message: words.message,
        choices: model.fields.map((field) => ({
          name: `${field.name} (${field.fieldClass}, ${field.column || 'no column'})`,
          value: field.name,
          disabled: refusal(() => words.check(model, field)),
        })),
      });
    },
  });
}

export function changeIdOption(example: string) {
  return text({
    flag: '--change-id <id>',
    description: `name of the change record (default: ${example})`,
    flagOnly: 'the derived name suits nearly every change; a script that needs another passes it',
  });
}

/** The message of the BgScaffoldError `check` throws, or undefined when it passes. */
export function refusal(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof BgScaffoldError) return error.message;
    throw error;
  }
}
