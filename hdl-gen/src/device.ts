/**
 * @fileoverview Devices trit can target and the pre-synthesis fit check: a program's memories
 * (data memory in SPRAM/BRAM, vram and the program ROM in EBR/BRAM) and the core's logic are
 * compared with what the part has, before any tool runs, so a model that cannot fit is refused
 * with the numbers and a part that would hold it.
 */
import { TritError } from '../../common/errors.js';
import { layout, OPC, type Opcode } from './isa.js';
import type { HdlProgram } from './program.js';

/** One FPGA part. */
export interface Device {
  name: string;
  family: 'ice40' | 'xc7';
  /** Logic: iCE40 logic cells (LUT4+FF) or 7-series LUT6. */
  logic: number;
  /** iCE40: 4-Kbit EBRs; xc7: 36-Kbit block RAMs. */
  blockRams: number;
  /** iCE40 UP5K: 256-Kbit SPRAMs. */
  spram: number;
  dsp: number;
}

/** Parts by the name `--device` takes. */
export const DEVICES: Record<string, Device> = {
  up5k: { name: 'up5k', family: 'ice40', logic: 5280, blockRams: 30, spram: 4, dsp: 8 },
  xc7a35t: { name: 'xc7a35t', family: 'xc7', logic: 20800, blockRams: 50, spram: 0, dsp: 90 },
  xc7a50t: { name: 'xc7a50t', family: 'xc7', logic: 32600, blockRams: 75, spram: 0, dsp: 120 },
  xc7a100t: { name: 'xc7a100t', family: 'xc7', logic: 63400, blockRams: 135, spram: 0, dsp: 240 },
  xc7a200t: { name: 'xc7a200t', family: 'xc7', logic: 134600, blockRams: 365, spram: 0, dsp: 740 },
  xc7s50: { name: 'xc7s50', family: 'xc7', logic: 32600, blockRams: 75, spram: 0, dsp: 120 },
  xc7z020: { name: 'xc7z020', family: 'xc7', logic: 53200, blockRams: 140, spram: 0, dsp: 220 },
};

/**
 * Logic cells of the core generated for a program (trit_core's `Ops` and `AccW`), as a model:
 * the core with every unit, less what each unit the program does not use frees, plus the lane
 * accumulators' width. Each figure is a measurement (docs/verilog.md §A core per model): the
 * unit savings and the per-bit cost from pack-only nextpnr-ice40 runs of the UP5K LM's design
 * (one unit's opcodes removed; its lanes at 32 bits), the full core and prefetch's cost from
 * place-and-route runs of the shipped models.
 * Accurate to a few percent; place and route has the last word, so the fit check refuses only
 * what the model says cannot fit.
 */
export const ICE40_CORE = {
  /**
   * Every unit, 16-bit lane accumulators, no operand prefetch, the UART board top included.
   * Calibrated on the one shipped build that has every unit, mmfree-up5k-char in its exact form:
   * 5,245 cells routed after the core was split into units (issue 18, 2026-12-07). Before the split
   * it was 5,365; the split core packs 100–300 cells smaller (columns-mnist-up5k routes at 4,972,
   * the model says 5,072). The unit savings below were measured on the core before the split.
   */
  full: 5245,
  /**
   * What leaving a unit out frees. `newton` is both recip and rsqrt; `rsqrt` and `recip` one of
   * them alone; `div` the divider (divround): LM with divider and rsqrt 5,271, with rsqrt alone
   * 5,156, with recip and rsqrt 5,191 (pack-only).
   */
  unit: { lut: 688, newton: 742, rsqrt: 134, recip: 35, div: 115, gather: 122, reduce: 230, mul: 46, sat: 177, minmax: 37 },
  /**
   * What leaving the Newton unit out frees when the divider stays: the divider keeps the wide
   * multiplier operands and registers Newton shares, so less goes. One place-and-route point:
   * mlp-mnist-up5k in its exact form (divround, no recip/rsqrt) routed at 4,276 cells after the
   * split (4,382 before), where the additive model with `full` above says 3,876 (2026-12-07).
   */
  newtonBesideDiv: 283,
  /** Per bit of the 8 lane accumulators beyond 16. */
  perAccBit: 32,
  /** Operand prefetch (trit_core `Overlap`), with the second max/min cycle: measured on the MLP, 4,401 → 4,520. */
  overlap: 119,
  /** Prefetch is built only when the core stays within this share of the part: the rest is Fmax margin. */
  headroom: 0.9,
} as const;

/** 7-series LUTs of the full core (Yosys synth_xilinx on columns-mnist-up5k); not modelled per unit. */
export const XC7_CORE_LUTS = 2970;

/** Opcode bits of the units the model knows (hdl-gen/src/isa.ts OPC). */
const UNIT_OPS = {
  lut: ['lut'],
  gather: ['gather'],
  reduce: ['rsum', 'rmax', 'rabsmax', 'argmax'],
  mul: ['mul'],
  sat: ['sat'],
  minmax: ['max', 'min'],
  div: ['divround'],
} as const satisfies Record<string, readonly Opcode[]>;

/** Logic cells the UP5K core for this program takes (the model above). */
export function ice40CoreLogic(p: Pick<HdlProgram, 'opsUsed' | 'accW' | 'overlap'>): number {
  const has = (op: Opcode) => (p.opsUsed & (1 << OPC[op])) !== 0;
  let lc = ICE40_CORE.full + Math.max(0, p.accW - 16) * ICE40_CORE.perAccBit + (p.overlap ? ICE40_CORE.overlap : 0);
  for (const [unit, ops] of Object.entries(UNIT_OPS)) if (!ops.some(has)) lc -= ICE40_CORE.unit[unit as keyof typeof UNIT_OPS];
  if (!has('recip') && !has('rsqrt')) lc -= has('divround') ? ICE40_CORE.newtonBesideDiv : ICE40_CORE.unit.newton;
  else if (!has('rsqrt')) lc -= ICE40_CORE.unit.rsqrt;
  else if (!has('recip')) lc -= ICE40_CORE.unit.recip;
  return lc;
}

/** What a program needs of a part. */
export interface Need {
  dmemBits: number;
  spram: number;
  blockRams: number;
  vramBlocks: number;
  romBlocks: number;
  logic: number;
}

/** 7-series 36-Kbit block RAMs for a depth × width memory (512×72 … 32K×1). */
function bram36(depth: number, width: number): number {
  const cfg = [
    [512, 72],
    [1024, 36],
    [2048, 18],
    [4096, 9],
    [8192, 4],
    [16384, 2],
    [32768, 1],
  ] as const;
  let best = Infinity;
  for (const [d, w] of cfg) best = Math.min(best, Math.ceil(depth / d) * Math.ceil(width / w));
  return best;
}

/** Resources the program needs on `dev`. */
export function need(p: HdlProgram, dev: Device): Need {
  const iw = layout(p.widths).IW;
  const dmemBits = p.dmem.length * 16;
  if (dev.family === 'ice40') {
    // A lower bound by bits: Yosys splits memories across EBR aspect ratios better than a simple
    // tiling (measured: 29 EBR where tiling says 32), so only what cannot fit is refused here and
    // place and route has the last word.
    const vramBlocks = Math.ceil((p.vramWords * 32) / 4096),
      romBlocks = Math.ceil((p.instrs.length * iw) / 4096);
    return { dmemBits, spram: Math.ceil(p.dmem.length / 16384), blockRams: vramBlocks + romBlocks, vramBlocks, romBlocks, logic: ice40CoreLogic(p) };
  }
  const vramBlocks = bram36(p.vramWords, 32),
    romBlocks = bram36(p.instrs.length, iw);
  const dm = bram36(p.dmem.length, 16);
  return { dmemBits, spram: 0, blockRams: vramBlocks + romBlocks + dm, vramBlocks, romBlocks, logic: XC7_CORE_LUTS };
}

/**
 * Spends the logic a program leaves free: operand prefetch when the core with it stays within
 * the headroom of an iCE40 part (a 7-series part always has room). Sets `p.overlap`.
 */
export function configureCore(p: HdlProgram, dev: Device): void {
  p.overlap = dev.family !== 'ice40' || ice40CoreLogic({ ...p, overlap: true }) <= ICE40_CORE.headroom * dev.logic;
}

/** Throws a TritError that says what is missing and which parts would hold the model. */
export function checkFit(p: HdlProgram, dev: Device, model: string): Need {
  const n = need(p, dev);
  const problems: string[] = [];
  const kib = (bits: number) => `${(bits / 8192).toFixed(1)} KiB`;
  if (dev.family === 'ice40' && n.spram > dev.spram) {
    problems.push(
      `weights and constants take ${kib(n.dmemBits)} (${p.dmemUse.weights.toLocaleString('en-US')} weight words, ${(p.dmemUse.constants + p.dmemUse.tables).toLocaleString('en-US')} constant words); the ${dev.name} has ${dev.spram} SPRAM = ${kib(dev.spram * 262144)}`,
    );
  }
  if (n.blockRams > dev.blockRams) {
    const unit = dev.family === 'ice40' ? 'EBR (4 Kbit)' : 'block RAMs (36 Kbit)';
    problems.push(
      `activations (${p.vramWords.toLocaleString('en-US')} words) and the ${p.instrs.length}-instruction program need ${n.blockRams} ${unit}; the ${dev.name} has ${dev.blockRams}`,
    );
  }
  if (n.logic > dev.logic)
    problems.push(
      `the core for this program needs ~${n.logic.toLocaleString('en-US')} logic cells (a model of the units it uses, docs/verilog.md §A core per model); the ${dev.name} has ${dev.logic.toLocaleString('en-US')}`,
    );
  if (problems.length) {
    const fits = Object.values(DEVICES)
      .filter((d) => d.name !== dev.name && fitsOn(p, d))
      .map((d) => d.name);
    throw new TritError(
      `does not fit the ${dev.name}: ${problems.join('; ')}`,
      { file: model },
      fits.length
        ? `a part that holds it: ${fits.join(', ')} (--device ${fits[0]}); or a smaller model (fewer or narrower layers)`
        : 'a smaller model (fewer or narrower layers): no listed part holds it',
    );
  }
  return n;
}

/** Whether the program's memories and core fit `dev` (checkFit without the error). */
export function fitsOn(p: HdlProgram, dev: Device): boolean {
  const m = need(p, dev);
  return m.blockRams <= dev.blockRams && m.logic <= dev.logic && (dev.family !== 'ice40' || m.spram <= dev.spram);
}

/** The device for `--device`, or a TritError listing the known ones. */
export function deviceByName(name: string): Device {
  const d = DEVICES[name.toLowerCase()];
  if (!d) throw new TritError(`unknown --device '${name}'`, {}, `one of: ${Object.keys(DEVICES).join(', ')}`);
  return d;
}
