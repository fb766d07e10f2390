/**
 * @fileoverview The float graph: the model as imported, with float semantics and static shapes.
 *
 * Frontends (ONNX, later safetensors) produce it; small rewrite passes (./passes.ts) canonicalise
 * it; the lowering (compiler/lower) turns it into the integer IR. Its evaluator (./eval.ts) folds
 * constants and measures value ranges on calibration inputs.
 */

/** Float-graph ops. Reductions, slices, concat and argmax take an `axis` attribute. */
export type FOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'neg'
  | 'abs'
  | 'max'
  | 'min'
  | 'sqrt'
  | 'recip'
  | 'rsqrt'
  | 'sigmoid'
  | 'tanh'
  | 'exp'
  | 'relu'
  | 'round'
  | 'trunc'
  | 'clip'
  | 'pow'
  | 'reduce_sum'
  | 'reduce_mean'
  | 'reduce_max'
  | 'reduce_absmax'
  | 'matmul'
  | 'ternary_matmul'
  | 'gather'
  | 'reshape'
  | 'slice'
  | 'concat'
  | 'transpose'
  | 'argmax'
  | 'cumsum'
  | 'identity';

/** Attributes of a float-graph node. */
export interface FAttrs {
  axis?: number;
  start?: number;
  end?: number;
  lo?: number;
  hi?: number;
  perm?: number[];
  exponent?: number;
  /** ternary_matmul: the per-tensor scale c of W = c·T. */
  scale?: number;
  /** |value| ≤ bound, proved by the rewrite that made the node (float/passes.ts rmsRowScale): the
   *  lowering sizes the format from it instead of from calibration. */
  bound?: number;
}

/** One float-graph node. `src` names the ONNX node it came from, for error messages. */
export interface FNode {
  out: string;
  op: FOp;
  inputs: string[];
  attrs: FAttrs;
  shape: number[];
  /** The value is integer-valued (token ids, rounded activations). */
  int: boolean;
  src: string;
}

/** Constant storage: float64 in general; int8 for int8 initializers and ternary matrices, which
 *  keeps a 370M-parameter import at one byte per weight instead of eight. */
export type FData = Float64Array | Int8Array;

/** A constant. Ternary matrices hold {-1,0,1}; their scale lives on the ternary_matmul node. */
export interface FConst {
  shape: number[];
  data: FData;
  int: boolean;
}

/** A graph input. */
export interface FInput {
  name: string;
  shape: number[];
  int: boolean;
}

/** A recurrent state: an input whose next value is an output (ONNX decode-step form). */
export interface FStatePair {
  input: string;
  output: string;
}

/** The imported model. */
export interface FGraph {
  name: string;
  inputs: FInput[];
  consts: Map<string, FConst>;
  nodes: FNode[];
  outputs: { name: string; value: string }[];
  states: FStatePair[];
  /** Source file facts carried to the IR's metadata. */
  meta: Record<string, string>;
}

/** Shape and integrality of any value of the graph. */
export function fInfo(g: FGraph): Map<string, { shape: number[]; int: boolean }> {
  const m = new Map<string, { shape: number[]; int: boolean }>();
  for (const i of g.inputs) m.set(i.name, i);
  for (const [k, c] of g.consts) m.set(k, c);
  for (const n of g.nodes) m.set(n.out, n);
  return m;
}
