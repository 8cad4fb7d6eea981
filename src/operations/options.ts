/**
 * Each input of an operation is declared once, here in shape and in `<operation>/options.ts` in
 * substance: its flag, the question a terminal asks when the flag is missing, how its text is read.
 * The CLI's flags (src/cli/operation-command.ts), the questions (ask.ts), the plop generators
 * (plopfile.ts) and the type of the answers the operation plans from (`AnswersOf`) all derive from
 * these declarations, so they cannot drift apart.
 */
import { fail } from '../errors.js';
import { findApp, findField, findModel } from '../project/discover.js';
import type { Database, DjangoApp, DjangoField, DjangoModel, ProjectFacts } from '../project/types.js';

export interface Choice<T> {
  name: string;
  value: T;
  /** Shown under the list while the choice is highlighted. */
  description?: string;
  /** Shown as the answer once chosen (default: name). */
  short?: string;
  /** A reason it cannot be chosen. */
  disabled?: string;
}

/** The questions an operation can ask; the CLI answers them in a terminal, tests script them. */
export interface Prompter {
  select<T>(question: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  /** A list filtered by what is typed. */
  search<T>(question: { message: string; choices: Choice<T>[] }): Promise<T>;
  /** `validate` returns true, or the message to show. */
  input(question: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  confirm(question: { message: string; default?: boolean }): Promise<boolean>;
}

/** What a question can see: the project, the answers so far, and what they name in it. */
export interface AskContext {
  readonly prompter: Prompter;
  readonly facts: ProjectFacts;
  /** The database the plan will target, so that an offered default is the one it applies. */
  readonly database: Database;
  /** Flags given, then earlier answers, by option key. */
  readonly answers: Readonly<Record<string, unknown>>;
  /** The app, model and field the answers so far name (unknown names fail with a suggestion). */
  app(): DjangoApp;
  model(): DjangoModel;
  field(): DjangoField;
}

export interface OptionDeclaration<V> {
  /** Commander's syntax: `--app <label>`, or `--null` for a switch. */
  flag: string;
  /** One line of --help. */
  description: string;
  /** Set for an answer the plan cannot go without: the words that name it when it is missing. */
  required?: string;
  /** The only values the flag takes (listed in --help, checked while parsing). */
  choices?: readonly string[];
  /** Reads the flag's text; throws an Error whose message says what was expected. */
  parse?: (text: string) => V;
  /** The question a terminal asks when the flag was not given: its answer, or undefined to leave it unset. */
  ask?: (context: AskContext) => Promise<V | undefined>;
  /**
   * One question that answers this option and others at once (add-column's "existing rows get"
   * gives `null`, `default` or `backfillSql`). Asked only when none of `keys` came as a flag.
   */
  askTogether?: { keys: readonly string[]; ask: (context: AskContext) => Promise<Record<string, unknown>> };
  /** Why a terminal never asks for it, for an option that is neither required nor asked. */
  flagOnly?: string;
  /** The type of the answer; never set. */
  readonly value?: V;
}

export type Declarations = Record<string, OptionDeclaration<never> | OptionDeclaration<unknown>>;

type ValueOf<D> = D extends OptionDeclaration<infer V> ? V : never;

/** The answers an operation plans from: required options always there, the others when given or asked. */
export type AnswersOf<O extends Declarations> = {
  -readonly [K in keyof O as O[K] extends { required: string } ? K : never]: ValueOf<O[K]>;
} & {
  -readonly [K in keyof O as O[K] extends { required: string } ? never : K]?: ValueOf<O[K]>;
};

type Declared<V> = Omit<OptionDeclaration<V>, 'value' | 'parse' | 'choices'>;

/** A free text option. */
export function text<const D extends Declared<string>>(declaration: D): D & OptionDeclaration<string> {
  return declaration;
}

/** A switch: given or not. */
export function toggle<const D extends Declared<boolean>>(declaration: D): D & OptionDeclaration<boolean> {
  return declaration;
}

/** One of a fixed list of values. */
export function oneOf<const C extends string, const D extends Declared<C>>(choices: readonly C[], declaration: D): D & OptionDeclaration<C> {
  return { ...declaration, choices };
}

/** A whole number of at least `min`. */
export function wholeNumber<const D extends Declared<number>>(min: number, declaration: D): D & OptionDeclaration<number> {
  return { ...declaration, parse: (value: string) => parseWholeNumber(value, min) };
}

/** A value read from the flag's text by `parse`. */
export function parsed<V, const D extends Declared<V>>(parse: (text: string) => V, declaration: D & { choices?: readonly string[] }): D & OptionDeclaration<V> {
  return { ...declaration, parse };
}

export function parseWholeNumber(value: string, min: number): number {
  const pattern = min >= 1 ? /^[1-9][0-9]*$/ : /^(0|[1-9][0-9]*)$/;
  if (!pattern.test(value) || Number(value) < min) throw new Error(min === 1 ? 'Expected a whole number of at least 1.' : min === 0 ? 'Expected a whole number.' : `Expected a whole number of at least ${min}.`);
  return Number(value);
}

/** `--app <label>` → `--app`. */
export function flagName(declaration: Pick<OptionDeclaration<unknown>, 'flag'>): string {
  return /^--[a-z0-9-]+/.exec(declaration.flag)![0];
}

/**
 * The answers to required options that are missing, as one error naming every flag
 * (`missing --app (the app label) and --to (the new field name); <hint>`).
 */
export function requireAnswers(declarations: Declarations, given: Record<string, unknown>, hint: string): void {
  const missing = Object.entries(declarations).filter(([key, declaration]) => declaration.required && given[key] === undefined);
  if (missing.length === 0) return;
  const names = missing.map(([, declaration]) => `${flagName(declaration)} (${declaration.required})`);
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  fail(`missing ${list}; ${names.length === 1 ? hint : hint.replace('pass it', 'pass them')}`);
}

/**
 * Asks, in the order they are declared, for what the flags did not give. A question sees the
 * answers before it; an unknown app, model or field named by a flag fails at the first question
 * that needs it.
 */
export async function askAnswers(
  declarations: Declarations,
  given: Record<string, unknown>,
  project: { prompter: Prompter; facts: ProjectFacts; database: Database },
): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = { ...given };
  const context: AskContext = {
    ...project,
    answers,
    app: () => findApp(project.facts, requireAnswer(answers, 'app')),
    model: () => findModel(context.app(), requireAnswer(answers, 'model')),
    field: () => findField(context.model(), requireAnswer(answers, 'field'), context.app().label),
  };
  for (const [key, declaration] of Object.entries(declarations)) {
    if (declaration.askTogether) {
      const { keys, ask } = declaration.askTogether;
      if ([key, ...keys].some((k) => answers[k] !== undefined)) continue;
      const together = await ask(context);
      const undeclared = Object.keys(together).filter((k) => k !== key && !keys.includes(k));
      if (undeclared.length > 0) throw new Error(`the question for ${flagName(declaration)} answered ${undeclared.join(', ')}, which it does not declare`);
      for (const [k, value] of Object.entries(together)) if (value !== undefined) answers[k] = value;
    } else if (declaration.ask && answers[key] === undefined) {
      const answer = await declaration.ask(context);
      if (answer !== undefined) answers[key] = answer;
    }
  }
  return answers;
}

function requireAnswer(answers: Record<string, unknown>, key: string): string {
  const value = answers[key];
  if (typeof value !== 'string') throw new Error(`a question needs the ${key} before it is answered`);
  return value;
}
