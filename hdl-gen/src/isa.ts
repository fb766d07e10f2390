/**
 * @fileoverview The trit core's instruction set: opcodes and the bit layout of one instruction.
 * Mirrors the localparams of hdl-gen/rtl/trit_core.v; docs/verilog.md tables both.
 */

/** Opcodes of the core (trit_core.v `Op*`). */
export const OPC = {
  end: 0, add: 1, sub: 2, rsub: 3, neg: 4, abs: 5, max: 6, min: 7, shift: 8, sat: 9, mul: 10,
  lut: 11, recip: 12, rsqrt: 13, rsum: 14, rmax: 15, rabsmax: 16, argmax: 17, copy: 18, gather: 19,
  matmul: 20,
} as const;
export type Opcode = keyof typeof OPC;

/** Rounding-mode codes, in compiler/ir/arith.ts order. */
export const RND = { floor: 0, trunc: 1, half_up: 2, half_even: 3, half_away: 4 } as const;

/** One instruction: a loop of rows × cols elements with affine operand addresses. */
export interface Instr {
  op: Opcode;
  rnd?: number;
  /** Clamp to the symmetric range of `satBits` (8/16/32). */
  sat?: boolean;
  satBits?: 8 | 16 | 32;
  sh?: number;
  /** Operand A (vram): base, row stride, whether it advances along a row. */
  a?: number; aRs?: number; aCs?: boolean;
  /** Operand B: vram or dmem (then strides are in 16-bit words and cs steps 2 words). */
  b?: number; bRs?: number; bCs?: boolean; bConst?: boolean;
  o?: number; oRs?: number;
  rows?: number; cols?: number;
  x?: number;
  /** Source IR node, for the listing. */
  node?: string;
}

/** Address widths a program needs; they fix the instruction layout. */
export interface Widths {
  AW: number; // vram address bits
  DAW: number; // dmem address bits
  BW: number; // max(AW, DAW)
  XW: number;
}

/** Bit offsets of each field (trit_core.v F*). */
export function layout(w: Widths) {
  const FAB = 16, FARs = FAB + w.AW, FACs = FARs + w.AW, FBB = FACs + 1, FBRs = FBB + w.BW;
  const FBCs = FBRs + w.AW + 1, FBSrc = FBCs + 1, FOB = FBSrc + 1, FORs = FOB + w.AW;
  const FRows = FORs + w.AW, FCols = FRows + w.AW, FX = FCols + w.AW;
  return { FOp: 0, FRnd: 5, FSatB: 8, FSh: 10, FAB, FARs, FACs, FBB, FBRs, FBCs, FBSrc, FOB, FORs, FRows, FCols, FX, IW: FX + w.XW };
}

/** Packs one instruction into an integer of IW bits; throws if a field does not fit. */
export function encode(ins: Instr, w: Widths): bigint {
  const L = layout(w);
  let v = 0n;
  const put = (val: number, off: number, bits: number, name: string) => {
    if (!Number.isInteger(val) || val < 0 || val >= 2 ** bits) {
      throw new Error(`instruction field ${name} = ${val} does not fit ${bits} bits (node ${ins.node ?? '?'})`);
    }
    v |= BigInt(val) << BigInt(off);
  };
  const satCode = ins.sat ? { 8: 1, 16: 2, 32: 3 }[ins.satBits ?? 32] : 0;
  put(OPC[ins.op], L.FOp, 5, 'op');
  put(ins.rnd ?? 0, L.FRnd, 3, 'rnd');
  put(satCode, L.FSatB, 2, 'satb');
  put(ins.sh ?? 0, L.FSh, 6, 'sh');
  put(ins.a ?? 0, L.FAB, w.AW, 'a');
  put(ins.aRs ?? 0, L.FARs, w.AW, 'aRs');
  put(ins.aCs ? 1 : 0, L.FACs, 1, 'aCs');
  put(ins.b ?? 0, L.FBB, w.BW, 'b');
  put(ins.bRs ?? 0, L.FBRs, w.AW + 1, 'bRs');
  put(ins.bCs ? 1 : 0, L.FBCs, 1, 'bCs');
  put(ins.bConst ? 1 : 0, L.FBSrc, 1, 'bConst');
  put(ins.o ?? 0, L.FOB, w.AW, 'o');
  put(ins.oRs ?? 0, L.FORs, w.AW, 'oRs');
  put((ins.rows ?? 1) - 1, L.FRows, w.AW, 'rows');
  put((ins.cols ?? 1) - 1, L.FCols, w.AW, 'cols');
  put(ins.x ?? 0, L.FX, w.XW, 'x');
  return v;
}

/** Hex digits of an IW-bit word, for $readmemh. */
export function hexWord(v: bigint, bits: number): string {
  return v.toString(16).padStart(Math.ceil(bits / 4), '0');
}
