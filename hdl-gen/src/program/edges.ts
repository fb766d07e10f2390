/**
 * @fileoverview The program's edges. The f32 edges stay on the host, as in the wasm runtime's
 * API: the hardware's inputs are the integer outputs of the graph's `quantize` nodes and its
 * outputs the inputs of `dequantize`. Fixed vram regions: the recurrent state first, then the
 * inputs; the outputs go last (placed after the pool, by program.ts).
 */
import type { IRGraph, IRNode } from '../../../compiler/ir/graph.js';
import { numel, type DType, type TensorType } from '../../../compiler/ir/types.js';
import type { RoundMode } from '../../../compiler/ir/arith.js';
import { TritError } from '../../../common/errors.js';

/** A graph input as the hardware sees it. */
export interface HdlInput {
  name: string;
  offset: number;
  count: number;
  dtype: DType;
  /** Set when the graph quantizes this f32 input: the host does it before sending. */
  quantize?: { frac: number; round: RoundMode; dtype: DType };
}

/** A graph output as the hardware sends it. */
export interface HdlOutput {
  name: string;
  offset: number;
  count: number;
  /** The integer IR value the hardware returns. */
  value: string;
  frac: number;
  /** The graph dequantizes it: the host multiplies by 2^-frac. */
  dequantize: boolean;
}

export const fail = (n: IRNode, msg: string, hint?: string): never => {
  throw new TritError(`Verilog back-end: ${msg}`, { node: n.out }, hint);
};

export interface Edges {
  /** value → vram word address: states (`state:<name>`) and inputs so far. */
  loc: Map<string, number>;
  inputs: HdlInput[];
  /** Offsets relative to the output region until program.ts places it. */
  outputs: HdlOutput[];
  stateBase: number;
  stateCount: number;
  inBase: number;
  inCount: number;
  outCount: number;
  /** First free vram word. */
  top: number;
}

/** Checks that f32 exists only at the edges, then places states and inputs. */
export function planEdges(g: IRGraph, types: Map<string, TensorType>): Edges {
  const graphInputs = new Set(g.inputs.map((i) => i.name)),
    outputValues = new Set(g.outputs.map((o) => o.value));
  const hostQuant = new Set<string>(),
    dequantOf = new Map<string, IRNode>();
  for (const n of g.nodes) {
    if (n.op === 'quantize' && !graphInputs.has(n.inputs[0])) fail(n, 'quantize of an inner value; only graph inputs can be quantized (on the host)');
    if (n.op === 'quantize') hostQuant.add(n.out);
    if (n.op === 'dequantize' && !outputValues.has(n.out)) fail(n, 'dequantize of a value that is not a graph output');
    if (n.op === 'dequantize') dequantOf.set(n.out, n);
  }
  for (const n of g.nodes)
    for (const i of n.inputs) {
      if (dequantOf.has(i)) fail(n, `uses the f32 value '${i}'; f32 exists only at the edges`);
      const t = types.get(i);
      if (t && t.dtype === 'f32' && !hostQuant.has(n.out)) fail(n, `uses the f32 input '${i}' without quantizing it`);
    }
  const loc = new Map<string, number>();
  let at = 0;
  for (const s of g.states) {
    loc.set(`state:${s.name}`, at);
    at += numel(s.type.shape);
  }
  const stateCount = at,
    inBase = at;
  const inputs = g.inputs.map((inp): HdlInput => {
    const users = g.nodes.filter((n) => n.inputs.includes(inp.name));
    const q = users.find((n) => n.op === 'quantize');
    const count = numel(inp.type.shape),
      offset = at;
    at += count;
    if (inp.type.dtype !== 'f32') {
      loc.set(inp.name, offset);
      return { name: inp.name, offset, count, dtype: inp.type.dtype };
    }
    if (!q || users.length !== 1)
      throw new TritError(`Verilog back-end: f32 input '${inp.name}' must feed exactly one quantize`, { tensor: inp.name });
    loc.set(q.out, offset);
    return { name: inp.name, offset, count, dtype: 'f32', quantize: { frac: q.type.frac, round: q.attrs.round as RoundMode, dtype: q.type.dtype } };
  });
  let outCount = 0;
  const outputs = g.outputs.map((o): HdlOutput => {
    const dq = dequantOf.get(o.value);
    const value = dq ? dq.inputs[0] : o.value;
    const t = types.get(value)!,
      count = numel(t.shape),
      offset = outCount;
    outCount += count;
    return { name: o.name, offset, count, value, frac: t.frac, dequantize: !!dq };
  });
  return { loc, inputs, outputs, stateBase: 0, stateCount, inBase, inCount: at - inBase, outCount, top: at };
}
