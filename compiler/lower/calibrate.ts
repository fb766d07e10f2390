/**
 * @fileoverview Calibration: run the float graph on representative inputs and record each value's
 * observed range, which the lowering uses where static bounds are too loose (docs/IR.md §Formats).
 *
 * Recurrent models are run as sequences: state inputs start at zero and each step's state outputs
 * feed the next step, exactly as decoding does.
 */
import { evalGraph } from '../float/eval.js';
import type { FGraph } from '../float/graph.js';
import { numel } from '../ir/types.js';
import { rng } from '../../common/rng.js';

/** Observed [min, max] per float-graph value. */
export type CalibRanges = Map<string, [number, number]>;

/** One calibration step: the non-state inputs. A sequence restarts from zero state. */
export type CalibSequence = Record<string, ArrayLike<number>>[];

/** Runs the sequences and records every value's range. */
export function calibrate(g: FGraph, sequences: CalibSequence[], onStep?: (done: number, total: number) => void): CalibRanges {
  const ranges: CalibRanges = new Map();
  const total = sequences.reduce((s, q) => s + q.length, 0);
  let done = 0;
  for (const seq of sequences) {
    const state: Record<string, Float64Array> = {};
    for (const s of g.states) state[s.input] = new Float64Array(numel(g.inputs.find((i) => i.name === s.input)!.shape));
    for (const step of seq) {
      const env = evalGraph(g, { ...step, ...state });
      for (const [k, v] of env) {
        if (g.consts.has(k)) continue;
        let lo = Infinity,
          hi = -Infinity;
        for (const x of v) {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        const r = ranges.get(k);
        ranges.set(k, r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
      }
      for (const s of g.states) state[s.input] = Float64Array.from(env.get(g.outputs.find((o) => o.name === s.output)!.value)!);
      onStep?.(++done, total);
    }
  }
  return ranges;
}

/** Default calibration is reproducible: its inputs come from a seeded PRNG (re-exported for tests). */
export { rng };

/**
 * Default calibration when the user gives none: integer inputs that feed a Gather get uniform
 * random ids over the table; other integer inputs get 0; float inputs get U(0, 1) (images in [0,1]).
 */
export function defaultCalibration(g: FGraph, steps: number, seqLen: number, seed = 1): CalibSequence[] {
  const r = rng(seed);
  const vocab = new Map<string, number>();
  for (const n of g.nodes) if (n.op === 'gather' && g.consts.has(n.inputs[0])) vocab.set(n.inputs[1], g.consts.get(n.inputs[0])!.shape[0]);
  const stateIns = new Set(g.states.map((s) => s.input));
  const seqs: CalibSequence[] = [];
  const len = g.states.length ? seqLen : 1;
  for (let done = 0; done < steps;) {
    const seq: CalibSequence = [];
    for (let t = 0; t < len && done < steps; t++, done++) {
      const step: Record<string, Float64Array> = {};
      for (const i of g.inputs) {
        if (stateIns.has(i.name)) continue;
        const n = numel(i.shape);
        const V = vocab.get(i.name);
        step[i.name] = Float64Array.from({ length: n }, () => (i.int ? (V ? Math.floor(r() * V) : 0) : r()));
      }
      seq.push(step);
    }
    seqs.push(seq);
  }
  return seqs;
}
