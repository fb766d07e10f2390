/**
 * @fileoverview The IR graph: named SSA values, constants, recurrent state and outputs.
 *
 * Operands are strings: `name` refers to a value produced earlier (or a graph input),
 * `@name` to a constant. Nodes are in execution order; each produces exactly one value.
 */
import type { Attrs, OpName } from './ops.js';
import type { TensorType } from './types.js';

/** Integer storage of a constant. Ternary constants hold only -1, 0, +1. */
export type IntArray = Int8Array | Int16Array | Int32Array;

/** A constant tensor: weights, norm vectors, lookup tables, embeddings. */
export interface Const {
  name: string; // with the leading '@'
  type: TensorType;
  /** True for ternary matrices: stored at 2 bits per weight. */
  ternary: boolean;
  data: IntArray;
}

/** One operation producing the value `out`. */
export interface IRNode {
  out: string;
  op: OpName;
  inputs: string[];
  attrs: Attrs;
  type: TensorType;
}

/** A graph input: an integer (token ids) or an f32 edge to be quantized. */
export interface IRInput {
  name: string;
  type: TensorType;
}

/** A graph output: the name the user sees and the value it carries. */
export interface IROutput {
  name: string;
  value: string;
}

/** A recurrent state buffer: zero at reset, read and written once per step. */
export interface IRState {
  name: string;
  type: TensorType;
}

/** A whole program: one inference, or one decode step of a recurrent model. */
export interface IRGraph {
  name: string;
  inputs: IRInput[];
  states: IRState[];
  consts: Map<string, Const>;
  nodes: IRNode[];
  outputs: IROutput[];
  /** Free-form metadata (source file hash, vocabulary, formats); printed in the text form. */
  meta: Record<string, string>;
}

/** An empty graph. */
export function emptyGraph(name: string): IRGraph {
  return { name, inputs: [], states: [], consts: new Map(), nodes: [], outputs: [], meta: {} };
}

/** Typed array of the right width for a dtype. */
export function allocInt(dtype: 'i8' | 'i16' | 'i32', n: number): IntArray {
  return dtype === 'i8' ? new Int8Array(n) : dtype === 'i16' ? new Int16Array(n) : new Int32Array(n);
}

/** Index of every value's type: inputs, states read, node outputs. */
export function valueTypes(g: IRGraph): Map<string, TensorType> {
  const m = new Map<string, TensorType>();
  for (const i of g.inputs) m.set(i.name, i.type);
  for (const n of g.nodes) m.set(n.out, n.type);
  return m;
}
