/** A terminal's questions answered in order from a script, with what was asked recorded (in-process CLI tests). */
import type { Choice, Prompter } from '../../src/cli/interactive.js';

export class ScriptedPrompter implements Prompter {
  readonly asked: Array<{ kind: string; message: string; choices?: Choice<unknown>[]; default?: unknown }> = [];
  readonly validations: Array<(value: string) => true | string> = [];
  constructor(private readonly answers: unknown[]) {}

  private next<T>(kind: string, question: { message: string; choices?: Choice<T>[]; default?: unknown }): Promise<T> {
    this.asked.push({ kind, message: question.message, choices: question.choices as Choice<unknown>[], default: question.default });
    if (this.answers.length === 0) throw new Error(`unexpected question: ${question.message}`);
    return Promise.resolve(this.answers.shift() as T);
  }
  select<T>(q: { message: string; choices: Choice<T>[]; default?: T }) {
    return this.next<T>('select', q);
  }
  search<T>(q: { message: string; choices: Choice<T>[] }) {
    return this.next<T>('search', q);
  }
  input(q: { message: string; default?: string; validate?: (value: string) => true | string }) {
    if (q.validate) this.validations.push(q.validate);
    return this.next<string>('input', q);
  }
  confirm(q: { message: string; default?: boolean }) {
    return this.next<boolean>('confirm', q);
  }
}

export const terminal = (prompter: Prompter) => ({ isTTY: true, prompter });
export const asked = (p: ScriptedPrompter) => p.asked.map((q) => `${q.kind} ${q.message}`);
