/** The questions add-index, add-unique and add-check share: a field or several, a name, a condition. */
import { djangoIndexName, conditionExpression, parseIndexFields } from './indexes.js';
import { type AskContext, text } from '../options.js';
import { refusal } from './target-options.js';
import type { DjangoField } from '../../project/types.js';

/** `--field`: a field from a list (with why the others cannot be picked), or none for a Meta entry. */
export function oneFieldOption(words: { description: string; message: string; metaChoice: string; refuse: (field: DjangoField) => string | undefined }) {
  return text({
    flag: '--field <name>',
    description: words.description,
    ask: async (context: AskContext) => {
      if (context.answers.fields !== undefined || context.answers.expressions !== undefined) return undefined;
      const model = context.model();
      const picked = await context.prompter.search<string>({
        message: words.message,
        choices: [
          { name: words.metaChoice, value: '' },
          ...model.fields.map((field) => ({ name: `${field.name} (${field.fieldClass})`, value: field.name, disabled: words.refuse(field) })),
        ],
      });
      return picked === '' ? undefined : picked;
    },
  });
}

/** `--fields a,-b`: asked when no single field was picked. */
export function fieldsOption(words: { description: string; descending: boolean }) {
  return text({
    flag: '--fields <a,b>',
    description: words.description,
    ask: async (context: AskContext) => {
      if (context.answers.field !== undefined || context.answers.expressions !== undefined) return undefined;
      const model = context.model();
      return context.prompter.input({
        message: `Fields of ${model.name}, separated by commas${words.descending ? ' (-name for descending)' : ''}`,
        validate: (value) => refusal(() => parseIndexFields(value, model, 'fields', { descending: words.descending })) ?? true,
      });
    },
  });
}

/** `--condition "Q(...)"`: asked for a Meta entry; empty for none. */
export function conditionOption(words: { description: string; message: string; required?: boolean }) {
  return text({
    flag: '--condition <Q>',
    description: words.description,
    ask: async (context: AskContext) => {
      if (!words.required && context.answers.field !== undefined) return undefined;
      const model = context.model();
      const answer = await context.prompter.input({
        message: words.message,
        validate: (value) => (value.trim() === '' ? (words.required ? 'a condition is needed, e.g. Q(quantity__gte=0)' : true) : (refusal(() => conditionExpression(value, model)) ?? true)),
      });
      return answer.trim() === '' ? undefined : answer;
    },
  });
}

/** `--name`: a Meta entry's name; a terminal offers the one bg-scaffold would choose. */
export function entryNameOption(words: { description: string; suggest: (context: AskContext) => string | undefined }) {
  return text({
    flag: '--name <name>',
    description: words.description,
    ask: async (context: AskContext) => {
      if (context.answers.field !== undefined) return undefined;
      const suggested = words.suggest(context);
      const answer = await context.prompter.input({ message: 'Name', default: suggested });
      return answer === suggested ? undefined : answer;
    },
  });
}

/** Django's own name for a Meta index on the answered fields, for the name question's default. */
export function suggestedIndexName(context: AskContext): string | undefined {
  const model = context.model();
  let name: string | undefined;
  refusal(() => (name = djangoIndexName(model.dbTable, parseIndexFields(String(context.answers.fields), model, 'fields', { descending: true }))));
  return name;
}

/** `--expressions`, `--include`, `--opclasses` (and `--nulls-not-distinct`): flags only, for the entries a list cannot offer. */
export function metaEntryExtraOptions(kind: 'index' | 'constraint') {
  const entry = kind === 'index' ? 'Meta index' : 'UniqueConstraint';
  const why = 'rarer shapes of an entry: a terminal asks for fields, a script passes these';
  return {
    expressions: text({
      flag: '--expressions <python>',
      description: `${entry} on expressions instead of --fields, as Python arguments, e.g. 'Lower("name")' (needs --name)`,
      flagOnly: why,
    }),
    include: text({ flag: '--include <a,b>', description: `${entry}: covering fields, stored in the index (PostgreSQL)`, flagOnly: why }),
    opclasses: text({ flag: '--opclasses <a,b>', description: `${entry}: an operator class per field of --fields, e.g. varchar_pattern_ops (PostgreSQL)`, flagOnly: why }),
  };
}
