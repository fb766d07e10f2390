/** @fileoverview What a verb of the `trit` command line is: its usage forms (data for --help and the parser) and its action. */
import type { Flags, OptionName } from './options.js';

/** One way to call a verb: `trit <verb> <args> required… [options…]`, and what it does. */
export interface Form {
  args: string;
  required?: OptionName[];
  /** Values a form fixes, shown in its usage line (`--target wasm`). */
  fixed?: Partial<Record<OptionName, string>>;
  options: OptionName[];
  text: string;
}

export interface Verb {
  name: string;
  /** Whether the verb takes a model path as its one positional argument. */
  takesModel: boolean;
  forms: Form[];
  run(model: string | undefined, flags: Flags): Promise<number> | number;
}

/** The options a verb accepts: those of all its forms. */
export function optionsOf(v: Verb): OptionName[] {
  return [...new Set(v.forms.flatMap((f) => [...(f.required ?? []), ...f.options]))];
}

export const fmt = (n: number) => n.toLocaleString('en-US');
