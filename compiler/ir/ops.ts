/**
 * @fileoverview The IR's operations: one annotated table, grouped by family.
 *
 * The table is data so the validator, the text printer/parser and the statistics all read the
 * same facts: how many operands an op takes, which must be constants, and which attributes it has.
 * Semantics live in docs/IR.md and, executable, in compiler/interp/interp.ts.
 */

/** Attribute values: integers, identifiers (rounding modes, names) and flags. */
export type AttrValue = number | string | boolean;
export type Attrs = Record<string, AttrValue>;

/** Kind of an attribute, for the parser and validator. */
type AttrKind = 'int' | 'round' | 'ident' | 'flag';

interface OpSpec {
  /** Family, for docs and for rules that match on properties. */
  group: 'edge' | 'matrix' | 'elementwise' | 'lookup' | 'reduce' | 'data' | 'state';
  /** Operand count; -1 = one or more. */
  arity: number;
  /** Operand positions that must be constants (`@name`). */
  constOperands?: number[];
  /** Required attributes. */
  attrs?: Record<string, AttrKind>;
  /** Optional attributes. */
  optional?: Record<string, AttrKind>;
}

/** Every op of the addition-only IR. */
export const OPS = {
  // ---- edges: the only places floats exist -------------------------------------------------
  quantize: { group: 'edge', arity: 1, attrs: { round: 'round' } }, // f32 -> int, round(x·2^frac), saturating
  dequantize: { group: 'edge', arity: 1 }, // int -> f32, x·2^-frac

  // ---- matrix work: one form, sums and differences of inputs ---------------------------------
  ternary_matmul: { group: 'matrix', arity: 2, constOperands: [1] }, // x[R,K] · W[N,K]ᵀ, W ∈ {-1,0,1}

  // ---- elementwise integer arithmetic --------------------------------------------------------
  add: { group: 'elementwise', arity: 2, optional: { sat: 'flag' } },
  sub: { group: 'elementwise', arity: 2, optional: { sat: 'flag' } },
  neg: { group: 'elementwise', arity: 1 },
  abs: { group: 'elementwise', arity: 1 },
  max: { group: 'elementwise', arity: 2 },
  min: { group: 'elementwise', arity: 2 },
  shift: { group: 'elementwise', arity: 1, attrs: { by: 'int', round: 'round' }, optional: { sat: 'flag' } },
  sat: { group: 'elementwise', arity: 1, attrs: { lo: 'int', hi: 'int' } },
  mulc: { group: 'elementwise', arity: 2, constOperands: [1], attrs: { shift: 'int', round: 'round' }, optional: { sat: 'flag' } },
  mul: { group: 'elementwise', arity: 2, attrs: { shift: 'int', round: 'round' }, optional: { sat: 'flag' } },
  // round(a·mul / b) exactly, b > 0 per row (0 where b ≤ 0): int8 activation codes q = round(127·u/max|u|)
  divround: { group: 'elementwise', arity: 2, attrs: { mul: 'int', round: 'round' }, optional: { sat: 'flag' } },

  // ---- lookups and the two seeded Newton units -----------------------------------------------
  lut: { group: 'lookup', arity: 2, constOperands: [1], attrs: { lo: 'int', step: 'int', interp: 'ident' } },
  rsqrt: { group: 'lookup', arity: 1, attrs: { lutbits: 'int', newton: 'int' }, optional: { sat: 'flag' } },
  recip: { group: 'lookup', arity: 1, attrs: { lutbits: 'int', newton: 'int' }, optional: { sat: 'flag' } },

  // ---- reductions over the last axis (keepdims) -----------------------------------------------
  // Σ over the row, exact, then one rounding shift (optional): a sum of many small terms keeps their bits
  reduce_sum: { group: 'reduce', arity: 1, optional: { sat: 'flag', shift: 'int', round: 'round' } },
  reduce_max: { group: 'reduce', arity: 1 },
  reduce_absmax: { group: 'reduce', arity: 1 },
  argmax: { group: 'reduce', arity: 1 },

  // ---- data movement -------------------------------------------------------------------------
  gather: { group: 'data', arity: 2, constOperands: [0] }, // table[V,D] rows picked by ids
  slice: { group: 'data', arity: 1, attrs: { axis: 'int', start: 'int', end: 'int' } },
  concat: { group: 'data', arity: -1, attrs: { axis: 'int' } },
  reshape: { group: 'data', arity: 1 },

  // ---- explicit recurrent state (the MLGRU's h) ----------------------------------------------
  state_read: { group: 'state', arity: 0, attrs: { state: 'ident' } },
  state_write: { group: 'state', arity: 1, attrs: { state: 'ident' } },
} as const satisfies Record<string, OpSpec>;

/** Name of an IR op. */
export type OpName = keyof typeof OPS;

/** The spec of an op, typed loosely for generic readers. */
export function opSpec(op: OpName): OpSpec {
  return OPS[op] as OpSpec;
}

/** Whether `name` is an op of the IR. */
export function isOp(name: string): name is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}
