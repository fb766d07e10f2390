/** Shared helpers for IR tests: build graphs from text, run them. */
import { parseGraph } from '../../../compiler/ir/text.js';
import { validate } from '../../../compiler/ir/validate.js';
import { analyzeRanges } from '../../../compiler/ir/range.js';
import { Interpreter } from '../../../compiler/interp/interp.js';
import { toBase64 } from '../../../compiler/util/base64.js';

/** Base64 of little-endian int32 values, for `const` lines. */
export function i32b64(vals: number[]): string {
  return toBase64(new Uint8Array(Int32Array.from(vals).buffer));
}

/** Parses, validates, range-checks and runs a one-step graph. */
export function runText(text: string, inputs: Record<string, number[]>) {
  const g = parseGraph(text);
  validate(g);
  analyzeRanges(g);
  return new Interpreter(g).run(inputs, { record: true });
}
