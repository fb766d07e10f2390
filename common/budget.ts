/**
 * @fileoverview Memory budgets: every size a file asks for is checked against these before
 * anything is allocated. A file's own bytes bound what is read from it; these bound what a few
 * bytes can ask trit to build — a ConstantOfShape of 2^28 elements, a broadcast that folds to
 * 2^30, an activation of 2^28, a config.json with a million layers, a 1-KB vocabulary that names
 * id 10^9, a gzip file that inflates a thousandfold. The defaults hold every model trit targets
 * (the 2.7B MatMul-free LM included) with room on a 2-core / 24 GiB machine; `--max-elements`
 * raises the tensor budgets, and library users call `setBudget`.
 */
import { TritError, type ErrorSite } from './errors.js';

export interface Budget {
  /** Elements of one tensor whose size comes from numbers in a file rather than bytes in it:
   *  a folded constant larger than its inputs, an activation, a graph input. */
  elements: number;
  /** All such elements of one model together. */
  totalElements: number;
  /** Bytes of a text input (config.json, tokenizer.json, vocab.json, tokenizer.model): JSON.parse
   *  takes about 15 times a file's size in memory; the largest tokenizer.json in use (Gemma's,
   *  256k tokens) is 17 MB. */
  textBytes: number;
  /** Tokens in a vocabulary, and the largest token id + 1. */
  vocab: number;
  /** Bytes a gzip file may inflate to (the MNIST training images are 47 MB). */
  inflateBytes: number;
}

export const DEFAULT_BUDGET: Readonly<Budget> = {
  elements: 2 ** 24,
  totalElements: 2 ** 26,
  textBytes: 32 * 2 ** 20,
  vocab: 2 ** 20,
  inflateBytes: 256 * 2 ** 20,
};

let current: Budget = { ...DEFAULT_BUDGET };

/** The budgets in force. */
export const budget = (): Readonly<Budget> => current;

/** Changes budgets (unnamed ones keep their value); returns the previous ones. */
export function setBudget(b: Partial<Budget>): Budget {
  const old = current;
  current = { ...current, ...b };
  return old;
}

/** Sets the tensor budgets from `--max-elements` (the model total scales with it). */
export function setMaxElements(n: number): void {
  setBudget({ elements: n, totalElements: Math.max(4 * n, DEFAULT_BUDGET.totalElements) });
}

const fmt = (n: number) => (n >= 2 ** 20 && Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : n.toLocaleString('en-US'));

/** Refuses `n` elements of `what` when over `limit` (default: the per-tensor budget). */
export function checkElements(n: number, what: string, site: ErrorSite, limit = current.elements): void {
  if (n > limit)
    throw new TritError(
      `${what} would hold ${n.toLocaleString('en-US')} elements; the budget is ${fmt(limit)}`,
      site,
      'a model file that asks for this much is corrupt or hostile; if it is real, raise the budget with --max-elements <n> (docs/security.md)',
    );
}
