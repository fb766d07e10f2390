/**
 * @fileoverview Devices trit can target and the pre-synthesis fit check: a program's memories
 * (data memory in SPRAM/BRAM, vram and the program ROM in EBR/BRAM) and the core's logic are
 * compared with what the part has, before any tool runs, so a model that cannot fit is refused
 * with the numbers and a part that would hold it.
 */
import { TritError } from '../../common/errors.js';
import { layout } from './isa.js';
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
 * Logic of the core, measured for the shipped core (8 ternary lanes) on columns-mnist-up5k:
 * 5,198 logic cells after place and route on the UP5K with the UART board top (≈120 of them),
 * 2,970 LUTs in Yosys synth_xilinx. It barely depends on the model (widths of a few fields).
 * Update with report.json when the core changes (docs/verilog.md §Building).
 */
export const CORE_LOGIC = { ice40: 5080, xc7: 2970 } as const;

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
    return { dmemBits, spram: Math.ceil(p.dmem.length / 16384), blockRams: vramBlocks + romBlocks, vramBlocks, romBlocks, logic: CORE_LOGIC.ice40 };
  }
  const vramBlocks = bram36(p.vramWords, 32),
    romBlocks = bram36(p.instrs.length, iw);
  const dm = bram36(p.dmem.length, 16);
  return { dmemBits, spram: 0, blockRams: vramBlocks + romBlocks + dm, vramBlocks, romBlocks, logic: CORE_LOGIC.xc7 };
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
  if (n.logic > dev.logic) problems.push(`the core needs ~${n.logic} logic cells; the ${dev.name} has ${dev.logic}`);
  if (problems.length) {
    const fits = Object.values(DEVICES)
      .filter((d) => d.name !== dev.name)
      .filter((d) => {
        const m = need(p, d);
        return m.blockRams <= d.blockRams && m.logic <= d.logic && (d.family !== 'ice40' || m.spram <= d.spram);
      })
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

/** The device for `--device`, or a TritError listing the known ones. */
export function deviceByName(name: string): Device {
  const d = DEVICES[name.toLowerCase()];
  if (!d) throw new TritError(`unknown --device '${name}'`, {}, `one of: ${Object.keys(DEVICES).join(', ')}`);
  return d;
}
