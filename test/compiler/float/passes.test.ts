/**
 * Each canonicalising rewrite, applied alone to a tiny graph built inline: the float evaluator
 * gives the same outputs before and after, and the structure changed as the rule says.
 */
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../compiler/float/passes.js';
import { evalGraph } from '../../../compiler/float/eval.js';
import type { FGraph, FNode, FOp } from '../../../compiler/float/graph.js';

const node = (out: string, op: FOp, inputs: string[], shape: number[], attrs = {}): FNode => ({
  out,
  op,
  inputs,
  attrs,
  shape,
  int: false,
  src: out,
});

function graph(nodes: FNode[], consts: Record<string, [number[], number[]]> = {}): FGraph {
  return {
    name: 't',
    inputs: [{ name: 'x', shape: [2, 4], int: false }],
    nodes,
    states: [],
    meta: {},
    consts: new Map(Object.entries(consts).map(([k, [shape, data]]) => [k, { shape, data: Float64Array.from(data), int: false }])),
    outputs: [{ name: 'y', value: nodes.at(-1)!.out }],
  };
}

const X = [0.5, 1.5, 2, 3, 0.25, 4, 1, 2.5];

function check(g: FGraph, expectOps: (ops: string[]) => void) {
  const before = evalGraph(g, { x: X }).get(g.outputs[0].value)!;
  const clone: FGraph = { ...g, nodes: g.nodes.map((n) => ({ ...n })), consts: new Map(g.consts) };
  canonicalize(clone);
  const after = evalGraph(clone, { x: X }).get(clone.outputs[0].value)!;
  for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i], 10);
  expectOps(clone.nodes.map((n) => n.op));
}

describe('float-graph canonicalisation', () => {
  it('pow(x, 2) -> mul(x, x); pow(x, -0.5) -> rsqrt', () => {
    check(graph([node('p', 'pow', ['x', 'two'], [2, 4]), node('y', 'pow', ['p', 'mhalf'], [2, 4])], { two: [[], [2]], mhalf: [[], [-0.5]] }), (ops) =>
      expect(ops).toEqual(['mul', 'rsqrt']),
    );
  });
  it('div by a constant -> mul by its inverse', () => {
    check(graph([node('y', 'div', ['x', 'c'], [2, 4])], { c: [[], [8]] }), (ops) => expect(ops).toEqual(['mul']));
  });
  it('1/sqrt(x) and recip(sqrt(x)) -> rsqrt; a/sqrt(b) -> a·rsqrt(b)', () => {
    check(graph([node('s', 'sqrt', ['x'], [2, 4]), node('y', 'div', ['one', 's'], [2, 4])], { one: [[], [1]] }), (ops) =>
      expect(ops).toEqual(['rsqrt']),
    );
    check(graph([node('s', 'sqrt', ['x'], [2, 4]), node('y', 'div', ['x', 's'], [2, 4])]), (ops) => expect(ops).toEqual(['rsqrt', 'mul']));
  });
  it('a/(b/c) -> (a·c)/b and a·(b/c) -> (a·b)/c', () => {
    check(
      graph([node('m', 'reduce_max', ['x'], [2, 1], { axis: 1 }), node('s', 'div', ['k', 'm'], [2, 1]), node('y', 'div', ['x', 's'], [2, 4])], {
        k: [[], [127]],
      }),
      (ops) => expect(ops).not.toContain('recip'),
    );
    check(
      graph([node('m', 'reduce_max', ['x'], [2, 1], { axis: 1 }), node('s', 'div', ['k', 'm'], [2, 1]), node('y', 'mul', ['x', 's'], [2, 4])], {
        k: [[], [127]],
      }),
      (ops) => expect(ops.filter((o) => o === 'div')).toHaveLength(1),
    );
  });
  it('reduce_max(abs(x)) -> reduce_absmax(x)', () => {
    check(graph([node('a', 'abs', ['x'], [2, 4]), node('y', 'reduce_max', ['a'], [2, 1], { axis: 1 })]), (ops) =>
      expect(ops).toEqual(['reduce_absmax']),
    );
  });
  it('moves a per-row scale off the ternary matmul input', () => {
    const W = [1, 0, -1, 1, 0, 1, 1, -1, -1, -1, 0, 0];
    const g = graph(
      [
        node('m', 'reduce_max', ['x'], [2, 1], { axis: 1 }),
        node('q', 'mul', ['x', 'm'], [2, 4]),
        node('y', 'ternary_matmul', ['q', 'W'], [2, 3], { scale: 0.5 }),
      ],
      { W: [[3, 4], W] },
    );
    check(g, (ops) => expect(ops).toEqual(['reduce_max', 'ternary_matmul', 'mul', 'mul'])); // and the matmul's scale joins the row's
  });
  it('sees through the straight-through estimator: x + (q/s − x) before the matmul still moves s past it', () => {
    // How a quantizer written with .detach() exports (models/train_mlp.py): the scale division
    // sits behind an identity once the estimator is simplified, and the matmul must still sum q.
    const W = [1, 0, -1, 1, 0, 1, 1, -1, -1, -1, 0, 0];
    const g = graph(
      [
        node('m', 'reduce_max', ['x'], [2, 1], { axis: 1 }),
        node('q', 'div', ['x', 'm'], [2, 4]),
        node('d', 'sub', ['q', 'x'], [2, 4]),
        node('st', 'add', ['x', 'd'], [2, 4]),
        node('y', 'ternary_matmul', ['st', 'W'], [2, 3], { scale: 1 }),
      ],
      { W: [[3, 4], W] },
    );
    check(g, (ops) => expect(ops).toEqual(['reduce_max', 'ternary_matmul', 'div']));
  });
  it('RMSNorm x·rsqrt(mean(x²) + ε) computes on the row scaled to max|u| = 1: the same value, bounds on the nodes', () => {
    const rms = (eps: number, axis = 1) =>
      graph(
        [
          node('sq', 'mul', ['x', 'x'], [2, 4]),
          node('ms', 'reduce_mean', ['sq'], [2, 1], { axis }),
          node('e', 'add', ['ms', 'eps'], [2, 1]),
          node('r', 'rsqrt', ['e'], [2, 1]),
          node('y', 'mul', ['x', 'r'], [2, 4]),
        ],
        { eps: [[], [eps]] },
      );
    check(rms(1e-6), (ops) =>
      expect(ops).toEqual(['reduce_absmax', 'max', 'recip', 'mul', 'mul', 'reduce_mean', 'mul', 'mul', 'add', 'max', 'rsqrt', 'mul']),
    );
    // The value for rows far below and above 1, a zero row, and a row below √ε (where ε dominates).
    const g = rms(1e-6),
      c = canonicalize({ ...g, nodes: g.nodes.map((n) => ({ ...n })), consts: new Map(g.consts) });
    expect(c.nodes.find((n) => n.op === 'rsqrt')!.attrs.bound).toBeCloseTo(Math.sqrt(8));
    expect(c.nodes.at(-1)!.attrs.bound).toBe(2); // √K
    for (const x of [
      [3e-4, -1e-4, 2e-4, 5e-5, 1e3, -2e3, 7e2, 1],
      [0, 0, 0, 0, 1e-5, -2e-4, 3e-4, 0],
    ]) {
      const want = evalGraph(g, { x }).get('y')!,
        got = evalGraph(c, { x }).get('y')!;
      for (let i = 0; i < 8; i++) expect(got[i]).toBeCloseTo(want[i], 12);
    }
    // No ε, or a mean over another axis: left alone.
    check(rms(0), (ops) => expect(ops).toEqual(['mul', 'reduce_mean', 'add', 'rsqrt', 'mul']));
  });
  it("a BitLinear's output scales meet the row first: mul(T·s, r)·k -> T·(r·k·s), one elementwise product", () => {
    const W = [1, 0, -1, 1, 0, 1, 1, -1, -1, -1, 0, 0];
    const g = graph(
      [
        node('m', 'reduce_absmax', ['x'], [2, 1], { axis: 1 }),
        node('t', 'ternary_matmul', ['x', 'W'], [2, 3], { scale: 0.5 }),
        node('a', 'mul', ['t', 'm'], [2, 3]),
        node('y', 'mul', ['a', 'k'], [2, 3]),
      ],
      { W: [[3, 4], W], k: [[], [1 / 127]] },
    );
    const c = { ...g, nodes: g.nodes.map((n) => ({ ...n })), consts: new Map(g.consts) };
    check(g, (ops) => expect(ops).toEqual(['reduce_absmax', 'ternary_matmul', 'mul', 'mul', 'mul']));
    canonicalize(c);
    const y = c.nodes.find((n) => n.out === 'y')!;
    expect(c.nodes.find((n) => n.op === 'ternary_matmul')!.attrs.scale).toBe(1);
    expect(y.inputs.map((v) => c.nodes.find((n) => n.out === v)?.shape)).toEqual([
      [2, 3],
      [2, 1],
    ]); // matrix × row
    // A scaled matmul read twice keeps its scale (no second matmul).
    const g2 = graph(
      [
        node('m', 'reduce_absmax', ['x'], [2, 1], { axis: 1 }),
        node('t', 'ternary_matmul', ['x', 'W'], [2, 3], { scale: 0.5 }),
        node('a', 'mul', ['t', 'm'], [2, 3]),
        node('y', 'add', ['a', 't'], [2, 3]),
      ],
      { W: [[3, 4], W] },
    );
    check(g2, (ops) => expect(ops.filter((o) => o === 'ternary_matmul')).toHaveLength(1));
  });
  it('keeps a full-shape multiplier on the matmul input (not a row scale)', () => {
    const g = graph([node('q', 'mul', ['x', 'x'], [2, 4]), node('y', 'ternary_matmul', ['q', 'W'], [2, 1], { scale: 1 })], {
      W: [
        [1, 4],
        [1, 1, -1, 0],
      ],
    });
    check(g, (ops) => expect(ops).toEqual(['mul', 'ternary_matmul']));
  });
});
