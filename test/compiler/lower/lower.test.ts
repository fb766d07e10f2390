/**
 * Lowering, calibration and CSE on their own: tiny float graphs built inline → calibrate → lower →
 * the interpreter, against the float evaluator. Each case names the tolerance its fixed-point
 * formats promise; none goes through ONNX import.
 */
import { describe, expect, it } from 'vitest';
import { calibrate, rng, type CalibSequence } from '../../../compiler/lower/calibrate.js';
import { lowerToIR } from '../../../compiler/lower/lower.js';
import { evalGraph } from '../../../compiler/float/eval.js';
import { canonicalize } from '../../../compiler/float/passes.js';
import type { FGraph, FNode, FOp } from '../../../compiler/float/graph.js';
import { Interpreter } from '../../../compiler/interp/interp.js';
import { validate } from '../../../compiler/ir/validate.js';
import { analyzeRanges } from '../../../compiler/ir/range.js';
import { eliminateCommonSubexpressions } from '../../../compiler/ir/cse.js';
import { parseGraph, printGraph } from '../../../compiler/ir/text.js';

const node = (out: string, op: FOp, inputs: string[], shape: number[], attrs = {}, int = false): FNode => ({
  out,
  op,
  inputs,
  attrs,
  shape,
  int,
  src: out,
});

function graph(nodes: FNode[], consts: Record<string, [number[], number[]]> = {}, inShape = [1, 8]): FGraph {
  return {
    name: 't',
    inputs: [{ name: 'x', shape: inShape, int: false }],
    nodes,
    states: [],
    meta: {},
    consts: new Map(Object.entries(consts).map(([k, [shape, data]]) => [k, { shape, data: Float64Array.from(data), int: false }])),
    outputs: [{ name: 'y', value: nodes.at(-1)!.out }],
  };
}

/** n random input vectors in [lo, hi). */
/** RMSNorm of a row of K: x · rsqrt(mean(x²) + 1e-6). */
const rmsNorm = (K: number): FGraph =>
  graph(
    [
      node('sq', 'mul', ['x', 'x'], [1, K]),
      node('ms', 'reduce_mean', ['sq'], [1, 1], { axis: 1 }),
      node('e', 'add', ['ms', 'eps'], [1, 1]),
      node('r', 'rsqrt', ['e'], [1, 1]),
      node('y', 'mul', ['x', 'r'], [1, K]),
    ],
    { eps: [[], [1e-6]] },
    [1, K],
  );

function inputs(n: number, size: number, lo: number, hi: number, seed = 3): CalibSequence[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => [{ x: Float64Array.from({ length: size }, () => lo + (hi - lo) * r()) }]);
}

/** Lowers g calibrated on `cal`, runs `test` through the interpreter; returns the max |error| relative to max |float|. */
function relError(g: FGraph, cal: CalibSequence[], test: CalibSequence[]): number {
  const f = canonicalize(g);
  const { ir } = lowerToIR(f, calibrate(f, cal), { lutDensity: 256 });
  eliminateCommonSubexpressions(ir);
  validate(ir);
  analyzeRanges(ir);
  const interp = new Interpreter(ir);
  expect(ir.nodes.length).toBeGreaterThan(0);
  let err = 0,
    scale = 0;
  for (const [step] of test) {
    const want = evalGraph(f, step).get(f.outputs[0].value)!;
    const got = interp.run(step).outputs.y;
    for (let i = 0; i < want.length; i++) {
      err = Math.max(err, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
  }
  if (process.env.TRIT_SHOW_ERRORS) console.log(`rel error ${(err / scale).toExponential(2)}`);
  return err / scale;
}

describe('lowering alone: float graph → IR → interpreter vs float evaluation', () => {
  it('add and mul by constants: exact to the value formats (measured 5e-8; < 1e-6)', () => {
    const g = graph([node('a', 'mul', ['x', 'c'], [1, 8]), node('y', 'add', ['a', 'd'], [1, 8])], {
      c: [[], [0.75]],
      d: [[8], [1, 2, 3, 4, -1, -2, -3, -4]],
    });
    expect(relError(g, inputs(16, 8, -2, 2), inputs(8, 8, -2, 2, 9))).toBeLessThan(1e-6);
  });
  it('a ternary matmul with a scale: codes exact, so only the output format errs (measured 4e-8; < 1e-6)', () => {
    const r = rng(5);
    const W = Array.from({ length: 4 * 8 }, () => Math.floor(r() * 3) - 1);
    const g = graph(
      [
        node('m', 'reduce_absmax', ['x'], [1, 1], { axis: 1 }),
        node('s', 'div', ['k', 'm'], [1, 1]),
        node('q0', 'mul', ['x', 's'], [1, 8]),
        node('q', 'round', ['q0'], [1, 8]),
        node('u', 'div', ['q', 's'], [1, 8]),
        node('y', 'ternary_matmul', ['u', 'W'], [1, 4], { scale: 0.25 }),
      ],
      { k: [[], [127]], W: [[4, 8], W] },
    );
    g.consts.get('W')!.data = Int8Array.from(W);
    expect(relError(g, inputs(32, 8, -3, 3), inputs(8, 8, -3, 3, 11))).toBeLessThan(1e-6);
  });
  it('sigmoid through a table: within the table interpolation (measured 2e-7; < 1e-5)', () => {
    const g = graph([node('y', 'sigmoid', ['x'], [1, 8])]);
    expect(relError(g, inputs(32, 8, -6, 6), inputs(8, 8, -6, 6, 13))).toBeLessThan(1e-5);
  });
  it('RMSNorm: rsqrt of a mean of squares, within the Newton unit (measured 1e-7; < 1e-5)', () => {
    const g = rmsNorm(8);
    expect(relError(g, inputs(32, 8, -4, 4), inputs(8, 8, -4, 4, 17))).toBeLessThan(1e-5);
  });
  it('RMSNorm holds its precision on rows far outside the calibration: formats from the math, not the data (measured 1.6e-7; < 1e-6)', () => {
    // Calibrated on rows of magnitude ~4, run on rows 100× smaller (larger ones would saturate the
    // input's calibrated format before the norm): each output is compared relative to its own row,
    // as the next layer sees it. The input's own quantization (2^-27 against 0.04) is 2e-7 of it.
    const K = 64;
    const f = canonicalize(rmsNorm(K));
    const { ir } = lowerToIR(f, calibrate(f, inputs(16, K, -4, 4)), { lutDensity: 256 });
    validate(ir);
    analyzeRanges(ir);
    const it = new Interpreter(ir);
    let worst = 0;
    for (const [lo, hi, seed] of [
      [-4e-2, 4e-2, 21],
      [-4, 4, 23],
    ]) {
      for (const [step] of inputs(4, K, lo, hi, seed)) {
        const want = evalGraph(f, step).get('y')!,
          got = it.run(step).outputs.y;
        const scale = Math.max(...Array.from(want, Math.abs));
        for (let i = 0; i < K; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
      }
    }
    if (process.env.TRIT_SHOW_ERRORS) console.log(`rel error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6); // before the row scaling: 0.14 on the small rows
    expect(ir.nodes.filter((n) => n.op === 'reduce_sum').every((n) => (n.attrs.shift as number) > 0)).toBe(true); // one rounding
  });
  it('counts the formats sized from calibration, not those sized from proved bounds', () => {
    const K = 16;
    const f = canonicalize(rmsNorm(K));
    const sized = lowerToIR(f, calibrate(f, inputs(8, K, -4, 4)), { lutDensity: 256 });
    expect(sized.ir.nodes.some((n) => n.attrs.sat === true)).toBe(true); // the row-scaled norm clamps at its proved bounds…
    expect(sized.calibrationSized).toBe(0); // …which calibration did not size
    const prod = graph([node('y', 'mul', ['x', 'x'], [1, 8])]); // x² has no provable bound tighter than the input's
    const p = canonicalize(prod);
    expect(lowerToIR(p, calibrate(p, inputs(8, 8, -4, 4))).calibrationSized).toBe(1);
  });
});

describe('calibration alone', () => {
  it("records each value's range over every step of every sequence", () => {
    const g = graph([node('y', 'mul', ['x', 'c'], [1, 8])], { c: [[], [-2]] });
    const seqs: CalibSequence[] = [[{ x: [0, 1, 2, 3, 4, 5, 6, 7] }], [{ x: [-1, 0, 0, 0, 0, 0, 0, 0.5] }]];
    const r = calibrate(g, seqs);
    expect(r.get('x')).toEqual([-1, 7]);
    expect(r.get('y')).toEqual([-14, 2]);
    expect(r.has('c')).toBe(false); // constants need no calibration
  });
  it('a wider calibration range gives coarser formats: the same graph errs more', () => {
    const g = graph([node('y', 'sigmoid', ['x'], [1, 8])]);
    const test = inputs(8, 8, -1, 1, 19);
    expect(relError(g, inputs(16, 8, -1, 1), test)).toBeLessThan(relError(g, inputs(16, 8, -1000, 1000), test));
  });
});

describe('CSE alone', () => {
  const text = `trit-ir 1
graph "t"
input %x : i16[4] frac 4
%a = add %x, %x : i32[4] frac 4
%b = add %x, %x : i32[4] frac 4
%dead = neg %x : i32[4] frac 4
%y = add %a, %b : i32[4] frac 4
output y = %y
`;
  it('merges identical nodes, drops dead ones, keeps the outputs equal', () => {
    const g = parseGraph(text);
    const before = new Interpreter(parseGraph(text)).run({ x: [1, -2, 3, 100] }).outputs.y;
    expect(Array.from(before)).toEqual([4, -8, 12, 400]);
    const renamed = eliminateCommonSubexpressions(g);
    expect(renamed.get('b')).toBe('a');
    expect(g.nodes.map((n) => n.out)).toEqual(['a', 'y']);
    expect(g.nodes[1].inputs).toEqual(['a', 'a']);
    validate(g);
    expect(Array.from(new Interpreter(g).run({ x: [1, -2, 3, 100] }).outputs.y)).toEqual([4, -8, 12, 400]);
    expect(printGraph(g)).not.toMatch(/dead/);
  });
});
