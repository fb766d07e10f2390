/**
 * @fileoverview Lowers an IR graph to a trit-core program: one instruction per node, a vram
 * layout (liveness-based, in place where a node reads each element once before writing it), and
 * the data-memory image (2-bit ternary weights in 8-lane words, i32 constants, table blocks).
 *
 * One file a phase, in program/: edges.ts (host-side f32 edges, state and input regions),
 * vram.ts (liveness and allocation), dmem.ts (the data-memory image), ops.ts (the op table:
 * instructions per IR op). This file runs them in node order and sizes the instruction fields.
 */
import type { IRGraph, IRNode } from '../../compiler/ir/graph.js';
import { valueTypes } from '../../compiler/ir/graph.js';
import { numel, type TensorType } from '../../compiler/ir/types.js';
import { analyzeRanges } from '../../compiler/ir/range.js';
import { encode, layout, OPC, type Instr, type Widths } from './isa.js';
import { DataMemory } from './program/dmem.js';
import { fail, planEdges, type HdlInput, type HdlOutput } from './program/edges.js';
import { INSTRS, IN_PLACE, type Site } from './program/ops.js';
import { liveness, placeOutput, Pool, releaseDead } from './program/vram.js';

export { LANES } from './program/dmem.js';
export type { HdlInput, HdlOutput } from './program/edges.js';

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
  /** Bits of the divider's remainder (trit_core `DivW`); 0 when the program has no divround. */
  divW: number;
  /** Bit k set: opcode k occurs (trit_core's `Ops`: the units the core is built with). */
  opsUsed: number;
  /** trit_core's `Overlap`: prefetch operands (faster, ~120 logic cells); the device decides (device.ts). */
  overlap: boolean;
  inputs: HdlInput[];
  outputs: HdlOutput[];
  inBase: number;
  inCount: number;
  outBase: number;
  outCount: number;
  stateBase: number;
  stateCount: number;
  /** dmem words by use. */
  dmemUse: { weights: number; constants: number; tables: number };
  /** The encoded instructions (IW bits each), in program order. */
  words: bigint[];
  signature: number;
}

/** Lowers `g` to a program. Throws a TritError naming the node for anything the core cannot run. */
export function buildProgram(g: IRGraph): HdlProgram {
  const types = valueTypes(g);
  const typeOf = (v: string): TensorType => (v.startsWith('@') ? g.consts.get(v)!.type : types.get(v)!);
  const sizeOf = (v: string) => numel(typeOf(v).shape);
  const edges = planEdges(g, types);
  const { loc, outputs } = edges;
  const live = liveness(g, loc, outputs);
  const addrOf = (v: string, n: IRNode): number => loc.get(live.root(v)) ?? loc.get(v) ?? fail(n, `operand '${v}' has no storage (internal)`);
  const pool = new Pool(edges.top),
    dm = new DataMemory();
  const instrs: Instr[] = [],
    deferred: Instr[] = [];

  g.nodes.forEach((n, i) => {
    if (n.op === 'quantize' || n.op === 'dequantize' || n.op === 'state_read' || n.op === 'reshape') return; // host edges, aliases
    if (n.op === 'state_write') {
      // after every read of the state: at the end of the program
      const sz = sizeOf(n.out);
      deferred.push({
        op: 'copy',
        a: loc.get(live.root(n.inputs[0]))!,
        aRs: sz,
        aCs: true,
        o: loc.get(`state:${n.attrs.state}`)!,
        oRs: sz,
        rows: 1,
        cols: sz,
        node: n.out,
      });
      return;
    }
    const { out, victim } = placeOutput(n, i, sizeOf(n.out), IN_PLACE.has(n.op), pool, loc, live, sizeOf);
    const site: Site = { g, n, out, dm, typeOf, addrOf };
    instrs.push(...INSTRS[n.op](site));
    if (victim !== undefined) loc.delete(victim);
    loc.set(n.out, out);
    releaseDead(n, i, out, pool, loc, live, sizeOf);
  });

  // Outputs into the output region, then the deferred state writes, then END.
  const outBase = pool.alloc(Math.max(edges.outCount, 1));
  for (const o of outputs) {
    o.offset += outBase;
    instrs.push({
      op: 'copy',
      a: addrOf(o.value, { out: o.value } as IRNode),
      aRs: o.count,
      aCs: true,
      o: o.offset,
      oRs: o.count,
      rows: 1,
      cols: o.count,
      node: `output ${o.name}`,
    });
  }
  instrs.push(...deferred, { op: 'end', node: 'end' });

  const vramWords = Math.max(pool.top, 1);
  const dmem = dm.image();
  const AW = Math.max(4, Math.ceil(Math.log2(vramWords)));
  const DAW = Math.max(14, Math.ceil(Math.log2(Math.max(dmem.length, 2))));
  const widths: Widths = { AW, DAW, BW: Math.max(AW + 1, DAW), XW: 14 };
  const words = instrs.map((ins) => encode(ins, widths)); // throws on a field that does not fit
  const signature = fnv32(words.map((w) => w.toString(16)).join(',') + '|' + Array.from(dmem).join(','));
  return {
    name: g.name,
    widths,
    instrs,
    dmem,
    vramWords,
    inputs: edges.inputs,
    outputs,
    accW: accumulatorBits(g, typeOf),
    divW: dividerBits(g),
    opsUsed: instrs.reduce((m, ins) => (m | (1 << OPC[ins.op])) >>> 0, 0),
    overlap: true,
    inBase: edges.inBase,
    inCount: edges.inCount,
    outBase,
    outCount: edges.outCount,
    stateBase: edges.stateBase,
    stateCount: edges.stateCount,
    dmemUse: { ...dm.use },
    words,
    signature,
  };
}

/**
 * Lane accumulators: wide enough for K · max|x| of every matmul, with max|x| from the range
 * analysis (an exported model often carries its int8 activations in an i32 after Round/Clip; the
 * dtype alone would make every lane 32 bits — 14 × 8 lanes of adders and flip-flops more).
 * Wider intermediate sums wrap harmlessly, since each final sum fits.
 */
function accumulatorBits(g: IRGraph, typeOf: (v: string) => TensorType): number {
  const ranges = analyzeRanges(g);
  let accW = 8;
  for (const n of g.nodes) {
    if (n.op !== 'ternary_matmul') continue;
    const x = n.inputs[0];
    const K = typeOf(x).shape.at(-1)!;
    const iv = x.startsWith('@') ? undefined : ranges.get(x);
    const xb = ({ i8: 8, i16: 16, i32: 32 } as Record<string, number>)[typeOf(x).dtype] ?? 32;
    const maxAbs = iv ? Math.max(Math.abs(iv[0]), Math.abs(iv[1])) : 2 ** (xb - 1);
    accW = Math.max(accW, Math.min(32, Math.ceil(Math.log2(K * maxAbs + 1)) + 1));
  }
  return accW;
}

/**
 * The divider holds N = 2·|a|·k and b·2^8 (an i8 quotient) or b·2^16 (i16) for every divround,
 * with |a| and b from the range analysis; one bit more for the subtraction's borrow is inside
 * the core. An operand the analysis cannot bound counts as a full i32.
 */
function dividerBits(g: IRGraph): number {
  const ranges = analyzeRanges(g);
  const maxAbs = (v: string): number => {
    const iv = v.startsWith('@') ? undefined : ranges.get(v);
    const c = v.startsWith('@') ? g.consts.get(v)!.data : undefined;
    if (c) return Array.from(c).reduce((m, x) => Math.max(m, Math.abs(x)), 1);
    return iv ? Math.max(1, Math.abs(iv[0]), Math.abs(iv[1])) : 2 ** 31;
  };
  let bits = 0;
  for (const n of g.nodes) {
    if (n.op !== 'divround') continue;
    const [a, b] = n.inputs;
    const q = n.type.dtype === 'i8' ? 8 : 16;
    const top = Math.max(2 * Math.min(maxAbs(a), 2 ** 31) * (n.attrs.mul as number), Math.min(maxAbs(b), 2 ** 31) * 2 ** q);
    bits = Math.max(bits, Math.min(48, Math.ceil(Math.log2(top + 1)) + 1));
  }
  return bits;
}

/** FNV-1a 32-bit: the signature the core answers CMD_INFO with. */
function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The program ROM as $readmemh text, one instruction per line with its node as a comment. */
export function programHex(p: HdlProgram): string {
  const L = layout(p.widths);
  return p.instrs.map((ins, i) => `${p.words[i].toString(16).padStart(Math.ceil(L.IW / 4), '0')} // ${ins.op} ${ins.node ?? ''}`).join('\n') + '\n';
}
