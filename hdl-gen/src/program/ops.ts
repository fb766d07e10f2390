/**
 * @fileoverview The Verilog back-end's op table: for every IR op, the core instructions that
 * compute it (`INSTRS`, one entry per op, checked complete by the type checker). An instruction
 * is a loop over rows × cols of the output with affine operand addresses (isa.ts); constants and
 * tables go into data memory (dmem.ts).
 */
import type { IRGraph, IRNode } from '../../../compiler/ir/graph.js';
import type { OpName } from '../../../compiler/ir/ops.js';
import { numel, type TensorType } from '../../../compiler/ir/types.js';
import { bIndex } from '../../../compiler/ir/broadcast.js';
import { recipSeedTable, rsqrtSeedTable } from '../../../compiler/ir/newton.js';
import type { RoundMode } from '../../../compiler/ir/arith.js';
import { RND, type Instr } from '../isa.js';
import type { DataMemory } from './dmem.js';
import { fail } from './edges.js';

/** What an op rule reads: the node, its output's place and shape, and the program's memories. */
export interface Site {
  g: IRGraph;
  n: IRNode;
  out: number;
  dm: DataMemory;
  typeOf: (v: string) => TensorType;
  addrOf: (v: string, n: IRNode) => number;
}
type Rule = (s: Site) => Instr[];

/** 2-D affine access of an operand inside an R×C loop over the output. */
interface Access {
  rs: number;
  cs: number;
}

function access(outShape: number[], opShape: number[], rows: number, cols: number): Access | null {
  const idx = bIndex(outShape, opShape);
  for (const [rs, cs] of [
    [cols, 1],
    [0, 1],
    [1, 0],
    [0, 0],
  ] as const) {
    let ok = true;
    for (let r = 0; r < rows && ok; r++)
      for (let c = 0; c < cols; c++)
        if (idx[r * cols + c] !== r * rs + c * cs) {
          ok = false;
          break;
        }
    if (ok) return { rs, cs };
  }
  return null;
}

const satBits = (n: IRNode): 8 | 16 | 32 => (({ i8: 8, i16: 16, i32: 32 }) as const)[n.type.dtype as 'i8'] ?? 32;

/** The fields every instruction of a node shares, and the output loop of an elementwise op. */
function frame(s: Site) {
  const { n, out } = s,
    t = n.type,
    size = numel(t.shape);
  const cols = t.shape.length ? t.shape.at(-1)! : 1;
  const base: Instr = {
    op: 'copy',
    node: n.out,
    o: out,
    rnd: RND[(n.attrs.round as RoundMode) ?? 'floor'] ?? 0,
    sat: n.attrs.sat === true,
    satBits: satBits(n),
  };
  return { t, size, cols, rows: size / cols, base };
}

function accessOf(s: Site, v: string): Access {
  const { t, rows, cols } = frame(s);
  const acc = access(t.shape, s.typeOf(v).shape, rows, cols);
  if (!acc)
    return fail(
      s.n,
      `broadcast of [${s.typeOf(v).shape}] to [${t.shape}] is not a 2-D pattern the core can address`,
      'reshape so the broadcast is over rows or columns of a matrix',
    );
  return acc;
}

/** An elementwise instruction over the output with operands a (vram) and b (vram or dmem). */
function ew(s: Site, op: Instr['op'], a: string, b?: string, extra: Partial<Instr> = {}): Instr[] {
  const { rows, cols, base } = frame(s);
  const ins: Instr = { ...base, op, rows, cols, oRs: cols, ...extra };
  if (a.startsWith('@')) fail(s.n, 'first operand is a constant (internal: should have been swapped)');
  const acA = accessOf(s, a);
  Object.assign(ins, { a: s.addrOf(a, s.n), aRs: acA.rs, aCs: acA.cs === 1 });
  if (b !== undefined) {
    const acB = accessOf(s, b);
    if (b.startsWith('@')) Object.assign(ins, { b: s.dm.constant(b, constData(s, b)), bRs: 2 * acB.rs, bCs: acB.cs === 1, bConst: true });
    else Object.assign(ins, { b: s.addrOf(b, s.n), bRs: acB.rs, bCs: acB.cs === 1, bConst: false });
  }
  return [ins];
}

function constData(s: Site, name: string): ArrayLike<number> {
  const c = s.g.consts.get(name)!;
  if (c.ternary) fail(s.n, `ternary constant '${name}' used as an elementwise operand`);
  return c.data;
}

/** A one-operand instruction whose b operand is a dmem block (a table, bounds or a scalar). */
function withBlock(s: Site, op: Instr['op'], block: number, extra: Partial<Instr> = {}): Instr[] {
  const ins = ew(s, op, s.n.inputs[0], undefined, extra);
  Object.assign(ins[0], { b: block, bRs: 0, bCs: false, bConst: true });
  return ins;
}

/** add, sub, max, min, mul, mulc: a constant first operand swaps (sub becomes rsub). */
const binary: Rule = (s) => {
  const { n } = s;
  let [a, b] = n.inputs;
  let op: Instr['op'] = n.op === 'mulc' ? 'mul' : (n.op as 'add' | 'sub' | 'max' | 'min' | 'mul');
  if (a.startsWith('@')) {
    if (b.startsWith('@')) fail(n, 'both operands are constants (fold them before the back-end)');
    [a, b] = [b, a];
    if (op === 'sub') op = 'rsub';
  }
  const sh = op === 'mul' ? (n.attrs.shift as number) : 0;
  if (op === 'mul' && sh < 0) return scaledMul(s, a, b, sh);
  if (sh > 63) fail(n, `shift ${sh} exceeds 63`);
  return ew(s, op, a, b, { sh });
};

/** mul with a left shift: only by a constant, whose copy scaled by 2^-sh goes into dmem instead. */
function scaledMul(s: Site, a: string, b: string, sh: number): Instr[] {
  if (!b.startsWith('@')) fail(s.n, `mul with a left shift (${sh}) of two variables is not supported`);
  const scaled = Array.from(s.g.consts.get(b)!.data, (v) => v * 2 ** -sh);
  if (scaled.some((v) => Math.abs(v) > 2 ** 31 - 1)) fail(s.n, `mulc constant scaled by 2^${-sh} does not fit 32 bits`);
  const at = s.dm.constant(`${b}<<${-sh}`, scaled);
  const ins = ew(s, 'mul', a, undefined, { sh: 0 });
  const acc = accessOf(s, b); // addressed like the constant itself
  Object.assign(ins[0], { b: at, bRs: 2 * acc.rs, bCs: acc.cs === 1, bConst: true });
  return ins;
}

const shift: Rule = (s) => {
  const by = s.n.attrs.by as number;
  if (by >= 0) return ew(s, 'shift', s.n.inputs[0], undefined, { sh: by });
  if (-by > 30) fail(s.n, `left shift by ${-by} is not supported (at most 30)`);
  return withBlock(s, 'mul', s.dm.constant(`pow2:${-by}`, [2 ** -by]), { sh: 0 });
};

const sat: Rule = (s) =>
  withBlock(
    s,
    'sat',
    s.dm.fresh('tables', () => {
      s.dm.push32(s.n.attrs.lo as number);
      s.dm.push32(s.n.attrs.hi as number);
    }),
  );

/** A lookup: the table once (nodes share it) and a 5-word header per (table, lo): lo (48 bits), the last index, the table's address. */
const lut: Rule = (s) => {
  const { n, dm } = s;
  const T = s.g.consts.get(n.inputs[1])!.data;
  const step = n.attrs.step as number;
  if (step > 31) fail(n, `lut step 2^${step} is wider than the core's 31-bit fraction`);
  if (Math.abs(n.attrs.lo as number) >= 2 ** 47) fail(n, `lut lo ${n.attrs.lo} is outside ±2^47`);
  if (T.length > 65536) fail(n, 'lut table longer than 65,536 entries');
  for (let j = 0; j + 1 < T.length; j++) {
    if (Math.abs(T[j + 1] - T[j]) > 2 ** 31 - 1) fail(n, `lut table '${n.inputs[1]}' has a step between entries of 2^31 or more`);
  }
  const tab = dm.once(`lutT:${n.inputs[1]}`, 'tables', () => dm.push32s(T));
  if (tab > 0xffff) fail(n, 'lut table placed beyond the first 65,536 data-memory words');
  const blk = dm.once(`lut:${n.inputs[1]}:${n.attrs.lo}`, 'tables', () => {
    const lo = BigInt.asUintN(48, BigInt(n.attrs.lo as number));
    for (let k = 0n; k < 3n; k++) dm.words.push(Number((lo >> (16n * k)) & 0xffffn));
    dm.words.push(T.length - 1, tab);
  });
  const ins = ew(s, 'lut', n.inputs[0], undefined, { sh: step, x: n.attrs.interp === 'linear' ? 1 : 0 });
  Object.assign(ins[0], { b: blk });
  return ins;
};

/** recip, rsqrt: the seed table once per (op, bits); seed bits and Newton steps in `sh`, the fractions in `x`. */
const newton: Rule = (s) => {
  const { n, dm } = s;
  const lb = n.attrs.lutbits as number,
    steps = n.attrs.newton as number;
  const fin = s.typeOf(n.inputs[0]).frac,
    fout = n.type.frac;
  if (lb < 1 || lb > 12) fail(n, `seed table of ${lb} bits is not supported (1–12)`);
  if (steps > 3) fail(n, `${steps} Newton steps is more than the core's 3`);
  if (fin < -64 || fin > 63 || fout < -64 || fout > 63) fail(n, `fraction bits ${fin} → ${fout} outside −64…63`);
  const blk = dm.once(`${n.op}seed:${lb}`, 'tables', () => dm.push32s(n.op === 'recip' ? recipSeedTable(lb) : rsqrtSeedTable(lb)));
  const ins = ew(s, n.op as 'recip' | 'rsqrt', n.inputs[0], undefined, { sh: lb | (steps << 4), x: (fin & 0x7f) | ((fout & 0x7f) << 7) });
  Object.assign(ins[0], { b: blk });
  return ins;
};

/**
 * divround: the core's divider decides only the quotient bits its clamp can tell apart, so it
 * needs the int8/int16 clamp the lowering always gives it (`sat`, an i8 code); k travels in `x`.
 */
const divround: Rule = (s) => {
  const { n } = s;
  const k = n.attrs.mul as number;
  if (n.attrs.sat !== true || (n.type.dtype !== 'i8' && n.type.dtype !== 'i16'))
    fail(n, `divround into ${n.type.dtype} without an int8/int16 clamp has no unit in the core`, 'clamp its result to i8 or i16 (sat)');
  if (k >= 2 ** 14) fail(n, `divround multiplier ${k} is wider than the core's 14-bit field`);
  const [a, b] = n.inputs;
  if (a.startsWith('@')) fail(n, 'the dividend is a constant (fold it before the back-end)');
  return ew(s, 'divround', a, b, { x: k });
};

const reduce: Rule = (s) => {
  const { size, base } = frame(s);
  const K = s.typeOf(s.n.inputs[0]).shape.at(-1)!;
  const op = ({ reduce_sum: 'rsum', reduce_max: 'rmax', reduce_absmax: 'rabsmax', argmax: 'argmax' } as const)[s.n.op as 'reduce_sum'];
  // The accumulator is 48 bits: K·2^31 fits for K ≤ 2^16; a sum's shift rounds it once (SRed).
  if (K > 2 ** 16) fail(s.n, `a sum over ${K} elements is wider than the core's 48-bit accumulator`, 'sum rows of at most 65,536 elements');
  const sh = (s.n.attrs.shift as number | undefined) ?? 0;
  return [{ ...base, op, a: s.addrOf(s.n.inputs[0], s.n), aRs: K, aCs: true, rows: size, cols: K, oRs: 1, sh }];
};

/** Handled before the table is consulted: host edges and aliases (program.ts). */
const elsewhere: Rule = () => [];

/** The Verilog back-end's op table. */
export const INSTRS = {
  quantize: elsewhere,
  dequantize: elsewhere,
  reshape: elsewhere,
  state_read: elsewhere,
  state_write: elsewhere,
  add: binary,
  sub: binary,
  max: binary,
  min: binary,
  mul: binary,
  mulc: binary,
  neg: (s) => ew(s, s.n.op as 'neg', s.n.inputs[0]),
  abs: (s) => ew(s, s.n.op as 'abs', s.n.inputs[0]),
  shift,
  sat,
  lut,
  recip: newton,
  rsqrt: newton,
  reduce_sum: reduce,
  reduce_max: reduce,
  reduce_absmax: reduce,
  argmax: reduce,
  ternary_matmul: (s) => {
    const { size, base } = frame(s);
    const c = s.g.consts.get(s.n.inputs[1])!;
    const [N, K] = c.type.shape;
    return [
      { ...base, op: 'matmul', a: s.addrOf(s.n.inputs[0], s.n), aRs: K, aCs: true, b: s.dm.weights(c), rows: size / N, cols: K, oRs: N, x: N - 1 },
    ];
  },
  gather: (s) => {
    const { base } = frame(s);
    const [, D] = s.g.consts.get(s.n.inputs[0])!.type.shape;
    const ids = s.n.inputs[1],
      cnt = numel(s.typeOf(ids).shape);
    return [
      {
        ...base,
        op: 'gather',
        a: s.addrOf(ids, s.n),
        aRs: 1,
        aCs: false,
        b: s.dm.constant(s.n.inputs[0], constData(s, s.n.inputs[0])),
        bRs: 0,
        bCs: true,
        bConst: true,
        rows: cnt,
        cols: D,
        oRs: D,
      },
    ];
  },
  slice: (s) => {
    const { base } = frame(s);
    const inShape = s.typeOf(s.n.inputs[0]).shape,
      ax = s.n.attrs.axis as number;
    const inner = numel(inShape.slice(ax + 1)),
      outer = numel(inShape.slice(0, ax));
    const start = s.n.attrs.start as number,
      len = (s.n.attrs.end as number) - start;
    return [
      {
        ...base,
        op: 'copy',
        sat: false,
        a: s.addrOf(s.n.inputs[0], s.n) + start * inner,
        aRs: inShape[ax] * inner,
        aCs: true,
        rows: outer,
        cols: len * inner,
        oRs: len * inner,
      },
    ];
  },
  concat: (s) => {
    const { t, base } = frame(s);
    const ax = s.n.attrs.axis as number;
    const outer = numel(t.shape.slice(0, ax)),
      total = numel(t.shape.slice(ax));
    let off = 0;
    return s.n.inputs.map((p) => {
      if (p.startsWith('@')) fail(s.n, 'concat of a constant is not supported');
      const w = numel(s.typeOf(p).shape.slice(ax));
      const ins: Instr = {
        ...base,
        op: 'copy',
        sat: false,
        a: s.addrOf(p, s.n),
        aRs: w,
        aCs: true,
        o: s.out + off,
        oRs: total,
        rows: outer,
        cols: w,
      };
      off += w;
      return ins;
    });
  },
  divround,
} as const satisfies Record<OpName, Rule>;

/** Ops whose output may take the buffer of an input that dies at the same node (read once before written). */
export const IN_PLACE = new Set<OpName>(['add', 'sub', 'neg', 'abs', 'max', 'min', 'shift', 'sat', 'mul', 'mulc', 'lut', 'recip', 'rsqrt']);
