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
    check(g, (ops) => expect(ops).toEqual(['reduce_max', 'ternary_matmul', 'mul']));
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
