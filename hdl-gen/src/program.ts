/**
 * @fileoverview Lowers an IR graph to a trit-core program: one instruction per node, a vram
 * layout (liveness-based, in place where a node reads each element once before writing it), and
 * the data-memory image (2-bit ternary weights in 8-lane words, i32 constants, table blocks).
 *
 * The f32 edges stay on the host, as in the wasm runtime's API: the hardware's inputs are the
 * integer outputs of the graph's `quantize` nodes and its outputs the inputs of `dequantize`.
 */
import type { Const, IRGraph, IRNode } from '../../compiler/ir/graph.js';
import { valueTypes } from '../../compiler/ir/graph.js';
import { numel, type DType, type TensorType } from '../../compiler/ir/types.js';
import { TritError } from '../../common/errors.js';
import { bIndex } from '../../compiler/ir/broadcast.js';
import { recipSeedTable, rsqrtSeedTable } from '../../compiler/ir/newton.js';
import { RND, encode, layout, type Instr, type Widths } from './isa.js';
import type { RoundMode } from '../../compiler/ir/arith.js';

/** Output lanes of the folded ternary unit: one 16-bit dmem word holds 8 two-bit weights. */
export const LANES = 8;

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

/** Everything the Verilog emitter and the simulator need. */
export interface HdlProgram {
  name: string;
  widths: Widths;
  instrs: Instr[];
  /** Data memory image, 16-bit words (even length): loaded by CMD_LOAD. */
  dmem: Uint16Array;
  vramWords: number;
  /** Bits of the ternary lane accumulators. */
  accW: number;
  inputs: HdlInput[];
  outputs: HdlOutput[];
  inBase: number; inCount: number;
  outBase: number; outCount: number;
  stateBase: number; stateCount: number;
  /** dmem words by use. */
  dmemUse: { weights: number; constants: number; tables: number };
  /** The encoded instructions (IW bits each), in program order. */
  words: bigint[];
  signature: number;
}

const ELEMENTWISE = new Set(['add', 'sub', 'neg', 'abs', 'max', 'min', 'shift', 'sat', 'mul', 'mulc', 'lut', 'recip', 'rsqrt']);

/** 2-D affine access of an operand inside an R×C loop over the output. */
interface Access { rs: number; cs: number }

function access(outShape: number[], opShape: number[], rows: number, cols: number): Access | null {
  const idx = bIndex(outShape, opShape);
  for (const [rs, cs] of [[cols, 1], [0, 1], [1, 0], [0, 0]] as const) {
    let ok = true;
    for (let r = 0; r < rows && ok; r++) for (let c = 0; c < cols; c++) if (idx[r * cols + c] !== r * rs + c * cs) { ok = false; break; }
    if (ok) return { rs, cs };
  }
  return null;
}

/** First-fit allocator over vram words. */
class Pool {
  private free: [number, number][] = [];
  top: number;
  constructor(base: number) { this.top = base; }
  alloc(n: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const [s, len] = this.free[i];
      if (len >= n) {
        if (len === n) this.free.splice(i, 1); else this.free[i] = [s + n, len - n];
        return s;
      }
    }
    const s = this.top;
    this.top += n;
    return s;
  }
  release(s: number, n: number): void {
    this.free.push([s, n]);
    this.free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const f of this.free) {
      const last = merged.at(-1);
      if (last && last[0] + last[1] === f[0]) last[1] += f[1]; else merged.push([...f]);
    }
    this.free = merged;
  }
}

/** Lowers `g` to a program. Throws a TritError naming the node for anything the core cannot run. */
export function buildProgram(g: IRGraph): HdlProgram {
  const types = valueTypes(g);
  const typeOf = (v: string): TensorType => (v.startsWith('@') ? g.consts.get(v)!.type : types.get(v)!);
  const fail = (n: IRNode, msg: string, hint?: string): never => { throw new TritError(`Verilog back-end: ${msg}`, { node: n.out }, hint); };

  // ---- edges: host-side quantize/dequantize ------------------------------------------------
  const hostQuant = new Map<string, IRNode>(); // quantize node out → node
  const graphInputs = new Set(g.inputs.map((i) => i.name));
  for (const n of g.nodes) {
    if (n.op === 'quantize') {
      if (!graphInputs.has(n.inputs[0])) fail(n, 'quantize of an inner value; only graph inputs can be quantized (on the host)');
      hostQuant.set(n.out, n);
    }
  }
  const outputValues = new Set(g.outputs.map((o) => o.value));
  const dequantOf = new Map<string, IRNode>();
  for (const n of g.nodes) {
    if (n.op === 'dequantize') {
      if (!outputValues.has(n.out)) fail(n, 'dequantize of a value that is not a graph output');
      dequantOf.set(n.out, n);
    }
  }
  for (const n of g.nodes) for (const i of n.inputs) {
    if (dequantOf.has(i)) fail(n, `uses the f32 value '${i}'; f32 exists only at the edges`);
    const t = types.get(i);
    if (t && t.dtype === 'f32' && !hostQuant.has(n.out)) fail(n, `uses the f32 input '${i}' without quantizing it`);
  }

  // ---- vram: the recurrent state (fixed), then a pool that holds the inputs first, every node's
  // value while it is live, and the outputs at the end; EBR is the scarcest resource on a UP5K.
  const loc = new Map<string, number>(); // value → vram word address
  const inputs: HdlInput[] = [];
  let at = 0;
  for (const s of g.states) { loc.set(`state:${s.name}`, at); at += numel(s.type.shape); }
  const stateBase = 0, stateCount = at;
  const inBase = at;
  for (const inp of g.inputs) {
    const users = g.nodes.filter((n) => n.inputs.includes(inp.name));
    const q = users.find((n) => n.op === 'quantize');
    const count = numel(inp.type.shape);
    if (inp.type.dtype === 'f32') {
      if (!q || users.length !== 1) throw new TritError(`Verilog back-end: f32 input '${inp.name}' must feed exactly one quantize`, { tensor: inp.name });
      inputs.push({ name: inp.name, offset: at, count, dtype: 'f32', quantize: { frac: q.type.frac, round: q.attrs.round as RoundMode, dtype: q.type.dtype } });
      loc.set(q.out, at);
    } else {
      inputs.push({ name: inp.name, offset: at, count, dtype: inp.type.dtype });
      loc.set(inp.name, at);
    }
    at += count;
  }
  const inCount = at - inBase;
  const outputs: HdlOutput[] = [];
  let outCount = 0;
  for (const o of g.outputs) {
    const dq = dequantOf.get(o.value);
    const value = dq ? dq.inputs[0] : o.value;
    const t = typeOf(value);
    const count = numel(t.shape);
    outputs.push({ name: o.name, offset: outCount, count, value, frac: t.frac, dequantize: !!dq });
    outCount += count;
  }

  // Aliases: a reshape is its input; a state read is the state buffer; a state write's value is
  // its input (the copy into the state happens after every read, at the end of the program).
  const alias = new Map<string, string>();
  const fixedReads: string[] = []; // state reads: the state buffer itself, never freed
  const root = (v: string): string => { while (alias.has(v)) v = alias.get(v)!; return v; };
  for (const n of g.nodes) {
    if (n.op === 'reshape' || n.op === 'state_write') alias.set(n.out, n.inputs[0]);
    if (n.op === 'state_read') { loc.set(n.out, loc.get(`state:${n.attrs.state}`)!); fixedReads.push(n.out); }
  }
  const fixed = new Set<string>([...[...loc.keys()].filter((k) => k.startsWith('state:')), ...fixedReads]);
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => { for (const v of n.inputs) if (!v.startsWith('@')) lastUse.set(root(v), i); });
  for (const o of outputs) lastUse.set(root(o.value), g.nodes.length);
  for (const n of g.nodes) if (n.op === 'state_write') lastUse.set(root(n.inputs[0]), g.nodes.length);

  // ---- data memory ---------------------------------------------------------------------------
  const dm: number[] = [];
  const constAt = new Map<string, number>();
  let weightWords = 0, constWords = 0, tableWords = 0;
  const push32 = (v: number) => { dm.push(v & 0xffff, (v >>> 16) & 0xffff); };
  const constAddr = (name: string, n: IRNode): number => {
    let a = constAt.get(name);
    if (a !== undefined) return a;
    const c = g.consts.get(name)!;
    if (c.ternary) fail(n, `ternary constant '${name}' used as an elementwise operand`);
    a = dm.length;
    for (const v of c.data) push32(v);
    constWords += 2 * c.data.length;
    constAt.set(name, a);
    return a;
  };
  const scalarConst = (v: number, key: string): number => {
    let a = constAt.get(key);
    if (a === undefined) { a = dm.length; push32(v); constWords += 2; constAt.set(key, a); }
    return a;
  };
  const weightAddr = (c: Const): number => {
    let a = constAt.get(c.name);
    if (a !== undefined) return a;
    const [N, K] = c.type.shape;
    a = dm.length;
    for (let g0 = 0; g0 < N; g0 += LANES) {
      for (let k = 0; k < K; k++) {
        let w = 0;
        for (let j = 0; j < LANES && g0 + j < N; j++) {
          const t = c.data[(g0 + j) * K + k];
          w |= (t === 1 ? 1 : t === -1 ? 3 : 0) << (2 * j);
        }
        dm.push(w);
      }
    }
    weightWords += Math.ceil(N / LANES) * K;
    constAt.set(c.name, a);
    return a;
  };

  // ---- instructions --------------------------------------------------------------------------
  const pool = new Pool(at);
  const instrs: Instr[] = [];
  const deferred: Instr[] = [];
  const satBits = (n: IRNode): 8 | 16 | 32 => ({ i8: 8, i16: 16, i32: 32 } as const)[n.type.dtype as 'i8'] ?? 32;
  const sizeOf = (v: string) => numel(typeOf(v).shape);

  g.nodes.forEach((n, i) => {
    // Allocate the output (unless an alias or host edge), in place when safe.
    if (n.op === 'quantize' || n.op === 'dequantize' || n.op === 'state_read') return;
    if (alias.has(n.out)) {
      if (n.op === 'state_write') {
        const sz = sizeOf(n.out);
        deferred.push({ op: 'copy', a: loc.get(root(n.inputs[0]))!, aRs: sz, aCs: true, o: loc.get(`state:${n.attrs.state}`)!, oRs: sz, rows: 1, cols: sz, node: n.out });
      }
      return;
    }
    const size = sizeOf(n.out);
    let out: number | undefined;
    let victim: string | undefined; // an input that dies here and whose buffer the output takes
    if (ELEMENTWISE.has(n.op)) {
      for (const v of n.inputs) {
        if (v.startsWith('@')) continue;
        const r = root(v);
        if (!fixed.has(r) && lastUse.get(r) === i && sizeOf(v) === size && loc.has(r)) { out = loc.get(r)!; victim = r; break; }
      }
    }
    if (out === undefined) out = pool.alloc(size);
    const ins = lower(n, out);
    instrs.push(...ins);
    if (victim !== undefined) loc.delete(victim);
    loc.set(n.out, out);
    // Free what dies here.
    for (const v of new Set(n.inputs)) {
      if (v.startsWith('@')) continue;
      const r = root(v);
      if (!fixed.has(r) && lastUse.get(r) === i && loc.has(r)) { pool.release(loc.get(r)!, sizeOf(r)); loc.delete(r); }
    }
    if (!lastUse.has(n.out) && !fixed.has(n.out)) { pool.release(out, size); loc.delete(n.out); }
  });

  function addrOf(v: string, n: IRNode): number {
    const a = loc.get(root(v)) ?? loc.get(v);
    if (a === undefined) fail(n, `operand '${v}' has no storage (internal)`);
    return a!;
  }

  function lower(n: IRNode, out: number): Instr[] {
    const t = n.type;
    const size = numel(t.shape);
    const base: Instr = { op: 'copy', node: n.out, o: out, rnd: RND[(n.attrs.round as RoundMode) ?? 'floor'] ?? 0, sat: n.attrs.sat === true, satBits: satBits(n) };
    const cols = t.shape.length ? t.shape.at(-1)! : 1;
    const rows = size / cols;
    const operand = (v: string, which: 'a' | 'b', ins: Instr) => {
      const acc = access(t.shape, typeOf(v).shape, rows, cols);
      if (!acc) fail(n, `broadcast of [${typeOf(v).shape}] to [${t.shape}] is not a 2-D pattern the core can address`, 'reshape so the broadcast is over rows or columns of a matrix');
      if (which === 'a') {
        if (v.startsWith('@')) fail(n, 'first operand is a constant (internal: should have been swapped)');
        Object.assign(ins, { a: addrOf(v, n), aRs: acc!.rs, aCs: acc!.cs === 1 });
      } else if (v.startsWith('@')) {
        Object.assign(ins, { b: constAddr(v, n), bRs: 2 * acc!.rs, bCs: acc!.cs === 1, bConst: true });
      } else {
        Object.assign(ins, { b: addrOf(v, n), bRs: acc!.rs, bCs: acc!.cs === 1, bConst: false });
      }
    };
    const ew = (op: Instr['op'], a: string, b?: string, extra: Partial<Instr> = {}): Instr[] => {
      const ins: Instr = { ...base, op, rows, cols, oRs: cols, ...extra };
      operand(a, 'a', ins);
      if (b !== undefined) operand(b, 'b', ins);
      return [ins];
    };
    switch (n.op) {
      case 'add': case 'max': case 'min': case 'mul': case 'mulc': case 'sub': {
        let [a, b] = n.inputs;
        let op: Instr['op'] = n.op === 'mulc' ? 'mul' : n.op;
        if (a.startsWith('@')) {
          if (b.startsWith('@')) fail(n, 'both operands are constants (fold them before the back-end)');
          [a, b] = [b, a];
          if (op === 'sub') op = 'rsub';
        }
        let sh = op === 'mul' ? (n.attrs.shift as number) : 0;
        if (op === 'mul' && sh < 0) {
          if (!b.startsWith('@')) fail(n, `mul with a left shift (${sh}) of two variables is not supported`);
          const c = g.consts.get(b)!;
          const scaled = Array.from(c.data, (v) => v * 2 ** -sh);
          if (scaled.some((v) => Math.abs(v) > 2 ** 31 - 1)) fail(n, `mulc constant scaled by 2^${-sh} does not fit 32 bits`);
          const key = `${b}<<${-sh}`;
          if (!constAt.has(key)) { constAt.set(key, dm.length); for (const v of scaled) push32(v); constWords += 2 * scaled.length; }
          // Addressed like the constant itself, but only the scaled copy goes into dmem.
          const ins = ew('mul', a, undefined, { sh: 0 });
          const acc = access(t.shape, typeOf(b).shape, rows, cols)!;
          if (!acc) fail(n, `broadcast of [${typeOf(b).shape}] to [${t.shape}] is not a 2-D pattern the core can address`);
          Object.assign(ins[0], { b: constAt.get(key)!, bRs: 2 * acc.rs, bCs: acc.cs === 1, bConst: true });
          return ins;
        }
        if (sh > 63) fail(n, `shift ${sh} exceeds 63`);
        return ew(op, a, b, { sh });
      }
      case 'neg': case 'abs': return ew(n.op, n.inputs[0]);
      case 'shift': {
        const by = n.attrs.by as number;
        if (by >= 0) return ew('shift', n.inputs[0], undefined, { sh: by });
        if (-by > 30) fail(n, `left shift by ${-by} is not supported (at most 30)`);
        const ins = ew('mul', n.inputs[0], undefined, { sh: 0 });
        Object.assign(ins[0], { b: scalarConst(2 ** -by, `pow2:${-by}`), bRs: 0, bCs: false, bConst: true });
        return ins;
      }
      case 'sat': {
        const blk = dm.length;
        push32(n.attrs.lo as number); push32(n.attrs.hi as number); tableWords += 4;
        const ins = ew('sat', n.inputs[0]);
        Object.assign(ins[0], { b: blk, bRs: 0, bCs: false, bConst: true });
        return ins;
      }
      case 'lut': {
        const T = g.consts.get(n.inputs[1])!.data;
        const step = n.attrs.step as number;
        if (step > 31) fail(n, `lut step 2^${step} is wider than the core's 31-bit fraction`);
        if (Math.abs(n.attrs.lo as number) >= 2 ** 47) fail(n, `lut lo ${n.attrs.lo} is outside ±2^47`);
        if (g.consts.get(n.inputs[1])!.data.length > 65536) fail(n, 'lut table longer than 65,536 entries');
        for (let j = 0; j + 1 < T.length; j++) {
          if (Math.abs(T[j + 1] - T[j]) > 2 ** 31 - 1) fail(n, `lut table '${n.inputs[1]}' has a step between entries of 2^31 or more`);
        }
        // The table once (nodes share it); a 5-word header per (table, lo): lo (48 bits), the
        // last index, and the table's address.
        const tkey = `lutT:${n.inputs[1]}`;
        let tab = constAt.get(tkey);
        if (tab === undefined) {
          tab = dm.length;
          for (const v of T) push32(v);
          tableWords += 2 * T.length;
          constAt.set(tkey, tab);
        }
        if (tab > 0xffff) fail(n, 'lut table placed beyond the first 65,536 data-memory words');
        const key = `lut:${n.inputs[1]}:${n.attrs.lo}`;
        let blk = constAt.get(key);
        if (blk === undefined) {
          blk = dm.length;
          const lo = BigInt(n.attrs.lo as number);
          for (let k = 0n; k < 3n; k++) dm.push(Number((BigInt.asUintN(48, lo) >> (16n * k)) & 0xffffn));
          dm.push(T.length - 1, tab);
          tableWords += 5;
          constAt.set(key, blk);
        }
        const ins = ew('lut', n.inputs[0], undefined, { sh: step, x: n.attrs.interp === 'linear' ? 1 : 0 });
        Object.assign(ins[0], { b: blk });
        return ins;
      }
      case 'recip': case 'rsqrt': {
        const lb = n.attrs.lutbits as number, newton = n.attrs.newton as number;
        const fin = typeOf(n.inputs[0]).frac, fout = t.frac;
        if (lb < 1 || lb > 12) fail(n, `seed table of ${lb} bits is not supported (1–12)`);
        if (newton > 3) fail(n, `${newton} Newton steps is more than the core's 3`);
        if (fin < -64 || fin > 63 || fout < -64 || fout > 63) fail(n, `fraction bits ${fin} → ${fout} outside −64…63`);
        const key = `${n.op}seed:${lb}`;
        let blk = constAt.get(key);
        if (blk === undefined) {
          blk = dm.length;
          const tab = n.op === 'recip' ? recipSeedTable(lb) : rsqrtSeedTable(lb);
          for (const v of tab) push32(v);
          tableWords += 2 * tab.length;
          constAt.set(key, blk);
        }
        const ins = ew(n.op, n.inputs[0], undefined, { sh: lb | (newton << 4), x: (fin & 0x7f) | ((fout & 0x7f) << 7) });
        Object.assign(ins[0], { b: blk });
        return ins;
      }
      case 'reduce_sum': case 'reduce_max': case 'reduce_absmax': case 'argmax': {
        const K = typeOf(n.inputs[0]).shape.at(-1)!;
        const op = ({ reduce_sum: 'rsum', reduce_max: 'rmax', reduce_absmax: 'rabsmax', argmax: 'argmax' } as const)[n.op];
        return [{ ...base, op, a: addrOf(n.inputs[0], n), aRs: K, aCs: true, rows: size, cols: K, oRs: 1 }];
      }
      case 'ternary_matmul': {
        const c = g.consts.get(n.inputs[1])!;
        const [N, K] = c.type.shape;
        const R = size / N;
        return [{ ...base, op: 'matmul', a: addrOf(n.inputs[0], n), aRs: K, aCs: true, b: weightAddr(c), rows: R, cols: K, oRs: N, x: N - 1 }];
      }
      case 'gather': {
        const table = g.consts.get(n.inputs[0])!;
        const [, D] = table.type.shape;
        const ids = n.inputs[1];
        const cnt = sizeOf(ids);
        return [{ ...base, op: 'gather', a: addrOf(ids, n), aRs: 1, aCs: false, b: constAddr(n.inputs[0], n), bRs: 0, bCs: true, bConst: true, rows: cnt, cols: D, oRs: D }];
      }
      case 'slice': {
        const inShape = typeOf(n.inputs[0]).shape;
        const ax = n.attrs.axis as number;
        const inner = numel(inShape.slice(ax + 1)), outer = numel(inShape.slice(0, ax));
        const start = n.attrs.start as number, len = (n.attrs.end as number) - start;
        return [{ ...base, op: 'copy', sat: false, a: addrOf(n.inputs[0], n) + start * inner, aRs: inShape[ax] * inner, aCs: true, rows: outer, cols: len * inner, oRs: len * inner }];
      }
      case 'concat': {
        const ax = n.attrs.axis as number;
        const outer = numel(t.shape.slice(0, ax));
        const total = numel(t.shape.slice(ax));
        let off = 0;
        const list: Instr[] = [];
        for (const p of n.inputs) {
          if (p.startsWith('@')) fail(n, 'concat of a constant is not supported');
          const w = numel(typeOf(p).shape.slice(ax));
          list.push({ ...base, op: 'copy', sat: false, a: addrOf(p, n), aRs: w, aCs: true, o: out + off, oRs: total, rows: outer, cols: w });
          off += w;
        }
        return list;
      }
      case 'divround':
        // The UP5K core uses 5,257 of 5,280 logic cells: an exact divider does not fit until the
        // core is split (issue 18). Compiling for the FPGA lowers activation quantization through
        // the Newton reciprocal instead, so this only meets IR compiled for another target.
        return fail(n, 'exact division (divround) has no unit in the core',
          'compile the model for the FPGA (trit compile --target verilog, or compileOnnx with target: \'fpga\'), which quantizes activations through the reciprocal unit');
      default:
        return fail(n, `op '${n.op}' has no Verilog lowering`);
    }
  }

  // Outputs into the output region, then the deferred state writes, then END.
  const outBase = pool.alloc(Math.max(outCount, 1));
  for (const o of outputs) {
    o.offset += outBase;
    instrs.push({ op: 'copy', a: addrOf(o.value, { out: o.value } as IRNode), aRs: o.count, aCs: true, o: o.offset, oRs: o.count, rows: 1, cols: o.count, node: `output ${o.name}` });
  }
  instrs.push(...deferred);
  instrs.push({ op: 'end', node: 'end' });

  const vramWords = Math.max(pool.top, 1);
  if (dm.length % 2) dm.push(0);
  const AW = Math.max(4, Math.ceil(Math.log2(vramWords)));
  const DAW = Math.max(14, Math.ceil(Math.log2(Math.max(dm.length, 2))));
  // Lane accumulators: wide enough for K · max|x| of every matmul (sums wrap harmlessly below
  // that, since each final sum fits).
  let accW = 8;
  for (const n of g.nodes) {
    if (n.op !== 'ternary_matmul') continue;
    const K = typeOf(n.inputs[0]).shape.at(-1)!;
    const xb = ({ i8: 8, i16: 16, i32: 32 } as Record<string, number>)[typeOf(n.inputs[0]).dtype] ?? 32;
    accW = Math.max(accW, Math.min(32, Math.ceil(Math.log2(K * 2 ** (xb - 1) + 1)) + 1));
  }
  const widths: Widths = { AW, DAW, BW: Math.max(AW + 1, DAW), XW: 14 };
  const words = instrs.map((ins) => encode(ins, widths)); // throws on a field that does not fit
  const dmem = Uint16Array.from(dm);
  const signature = fnv32(words.map((w) => w.toString(16)).join(',') + '|' + Array.from(dmem).join(','));
  return {
    name: g.name, widths, instrs, dmem, vramWords, inputs, outputs, accW,
    inBase, inCount, outBase, outCount, stateBase, stateCount,
    dmemUse: { weights: weightWords, constants: constWords, tables: tableWords },
    words, signature,
  };
}

/** FNV-1a 32-bit: the signature the core answers CMD_INFO with. */
function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

/** The program ROM as $readmemh text, one instruction per line with its node as a comment. */
export function programHex(p: HdlProgram): string {
  const L = layout(p.widths);
  return p.instrs.map((ins, i) => `${p.words[i].toString(16).padStart(Math.ceil(L.IW / 4), '0')} // ${ins.op} ${ins.node ?? ''}`).join('\n') + '\n';
}
