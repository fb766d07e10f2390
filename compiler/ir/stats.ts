/**
 * @fileoverview Per-inference operation counts: what one inference (or one decode step) costs.
 *
 * Counting rules (docs/IR.md §Statistics): each nonzero ternary weight is one add (+1) or one
 * subtract (−1) per row of input; elementwise add/sub and reduce_sum count one per element;
 * `mulc` is a multiply by a compile-time constant (shift-and-add in hardware); `mul` and the
 * Newton steps inside `recip`/`rsqrt` are elementwise variable×variable multiplies; no op exists
 * that multiplies by a weight, so `weightMultiplies` is 0 by construction and is reported to prove it.
 */
import type { IRGraph } from './graph.js';
import { numel } from './types.js';
import { newtonMultiplies } from './newton.js';

/** What one inference costs. */
export interface IRStats {
  adds: number;
  subs: number;
  /** The part of adds + subs done by the ternary matrix layers (one per nonzero weight per row). */
  weightAdds: number;
  weightMultiplies: number;
  constMultiplies: number;
  elementwiseMultiplies: number;
  /** Exact divisions by a per-row value (`divround`: one per int8 activation code). */
  divisions: number;
  lookups: number;
  /** Ternary weights at 2 bits each. */
  weightBytes: number;
  ternaryWeights: number;
  /** Fraction of ternary weights that are zero (skipped work). */
  weightSparsity: number;
  /** Bytes of the other constants (embeddings, norm vectors, tables) at their dtype widths. */
  constBytes: number;
  /** Bytes of those constants one inference reads: a gathered table (an embedding) counts only
   * the rows gathered. */
  constBytesRead: number;
  stateBytes: number;
  nodes: number;
  opCounts: Record<string, number>;
}

const BYTES = { i8: 1, i16: 2, i32: 4, f32: 4 } as const;

/** Counts the operations of one run of `g`. */
export function graphStats(g: IRGraph): IRStats {
  const s: IRStats = {
    adds: 0,
    subs: 0,
    weightAdds: 0,
    weightMultiplies: 0,
    constMultiplies: 0,
    elementwiseMultiplies: 0,
    divisions: 0,
    lookups: 0,
    weightBytes: 0,
    ternaryWeights: 0,
    weightSparsity: 0,
    constBytes: 0,
    constBytesRead: 0,
    stateBytes: 0,
    nodes: g.nodes.length,
    opCounts: {},
  };
  let zeros = 0;
  for (const c of g.consts.values()) {
    const n = numel(c.type.shape);
    if (c.ternary) {
      s.weightBytes += Math.ceil(n / 4);
      s.ternaryWeights += n;
      for (const v of c.data) if (v === 0) zeros++;
    } else {
      s.constBytes += n * BYTES[c.type.dtype];
    }
  }
  s.weightSparsity = s.ternaryWeights ? zeros / s.ternaryWeights : 0;
  s.constBytesRead = s.constBytes;
  const gathered = new Set<string>();
  for (const st of g.states) s.stateBytes += numel(st.type.shape) * BYTES[st.type.dtype];
  const shapeOf = new Map<string, number[]>();
  for (const i of g.inputs) shapeOf.set(i.name, i.type.shape);
  for (const node of g.nodes) {
    shapeOf.set(node.out, node.type.shape);
    s.opCounts[node.op] = (s.opCounts[node.op] ?? 0) + 1;
    const n = numel(node.type.shape);
    switch (node.op) {
      case 'ternary_matmul': {
        const w = g.consts.get(node.inputs[1])!;
        const rows = numel(shapeOf.get(node.inputs[0])!.slice(0, -1));
        let p = 0,
          m = 0;
        for (const v of w.data) {
          if (v === 1) p++;
          else if (v === -1) m++;
        }
        s.adds += p * rows;
        s.subs += m * rows;
        s.weightAdds += (p + m) * rows;
        break;
      }
      case 'gather': {
        const table = g.consts.get(node.inputs[0]);
        if (!table || table.ternary) break;
        if (!gathered.has(node.inputs[0])) s.constBytesRead -= numel(table.type.shape) * BYTES[table.type.dtype];
        gathered.add(node.inputs[0]);
        s.constBytesRead += n * BYTES[table.type.dtype];
        break;
      }
      case 'add':
        s.adds += n;
        break;
      case 'sub':
        s.subs += n;
        break;
      case 'reduce_sum':
        s.adds += numel(shapeOf.get(node.inputs[0])!);
        break;
      case 'mulc':
        s.constMultiplies += n;
        break;
      case 'mul':
        s.elementwiseMultiplies += n;
        break;
      case 'divround':
        s.constMultiplies += n;
        s.divisions += n;
        break;
      case 'lut':
        s.lookups += n;
        if (node.attrs.interp === 'linear') s.elementwiseMultiplies += n;
        break;
      case 'recip':
      case 'rsqrt':
        s.lookups += n;
        s.elementwiseMultiplies += n * newtonMultiplies(node.op, node.attrs.newton as number);
        break;
      // Counted only in opCounts: comparisons, sign ops, shifts, clamps and data movement cost
      // no arithmetic the energy model prices (docs/benchmarks.md).
      case 'quantize':
      case 'dequantize':
      case 'neg':
      case 'abs':
      case 'max':
      case 'min':
      case 'shift':
      case 'sat':
      case 'reduce_max':
      case 'reduce_absmax':
      case 'argmax':
      case 'slice':
      case 'concat':
      case 'reshape':
      case 'state_read':
      case 'state_write':
        break;
      default: {
        const unknown: never = node.op; // a new op must say what it costs
        throw new Error(`graphStats: no cost for op '${unknown}'`);
      }
    }
  }
  return s;
}
