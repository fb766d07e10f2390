/**
 * @fileoverview `trit compile --target verilog`: IR → program → fit check → design files →
 * (iCE40) simulation for the cycle count, then Yosys → nextpnr → icepack; (7-series) a Yosys
 * estimate. Everything is written into a scratch folder first and moved into place only when
 * the whole build succeeded, so a failure leaves no partial output behind.
 */
import { checkOutput, releaseTemp, sweepLeftovers, tempBeside, trackTemp } from '../../compiler/util/outputs.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { IRGraph } from '../../compiler/ir/graph.js';
import type { Compiled } from '../../compiler/compile.js';
import type { LowerOptions } from '../../compiler/lower/lower.js';
import { Interpreter } from '../../compiler/interp/interp.js';
import { TritError } from '../../common/errors.js';
import { numel } from '../../compiler/ir/types.js';
import { layout, OPC } from './isa.js';
import { buildProgram, type HdlProgram } from './program.js';
import { checkFit, configureCore, deviceByName, fitsOn, ICE40_CORE, type Device } from './device.js';
import { buildIce40, boardSources, estimateXilinx, tools } from './flow.js';
import { HdlSim, type Simulator } from './sim.js';
import { HDL_ROOT, designFiles } from './emit.js';

/** Options of a Verilog build. */
export interface VerilogBuildOptions {
  device: string;
  outDir: string;
  /** Base name of the outputs (`<name>.bin`, `<name>.hdl.json`). */
  name: string;
  model: string;
  clockHz?: number;
  baud?: number;
  targetMHz?: number;
  /** The first placement seed, and how many to try until one reaches 24 MHz (flow.ts sweepSeeds). */
  seed?: number;
  seeds?: number;
  /** Skip Yosys/nextpnr (write and simulate only). */
  noSynth?: boolean;
  /** Inputs for the simulation that measures cycles (default: zeros / id 0). */
  simFeeds?: Record<string, ArrayLike<number>>;
  log?: (line: string) => void;
}

/** The cycle count as report fields: measured, or said to be missing. */
function cycleFields(c: Cycles | undefined) {
  return {
    cyclesPerInference: c?.value ?? null,
    cyclesSource: c?.source ?? 'not measured: no simulator installed (setup.sh installs verilator)',
    cyclesByOp: c?.byOp ?? null,
  };
}

/** Cycles of one inference, measured in simulation, and their split by op kind. */
type Cycles = { value: number; source: string; byOp?: Record<string, number> };

/** The manifest a host (the serial script, tests) needs to talk to the design. */
export function manifest(p: HdlProgram, extra: Record<string, unknown> = {}) {
  return {
    format: 'trit-hdl/1',
    name: p.name,
    signature: `0x${p.signature.toString(16).padStart(8, '0')}`,
    protocol: { word: 'u32 little-endian', commands: { load: 1, run: 2, reset: 3, info: 4 }, ack: '0x74726974' },
    dmemWords: p.dmem.length,
    dmemFile: 'dmem.bin',
    inputs: p.inputs.map((i) => ({ ...i, offset: i.offset - p.inBase })),
    outputs: p.outputs.map((o) => ({ ...o, offset: o.offset - p.outBase })),
    inCount: p.inCount,
    outCount: p.outCount,
    hasState: p.stateCount > 0,
    instructions: p.instrs.length,
    instructionBits: layout(p.widths).IW,
    vramWords: p.vramWords,
    ...extra,
  };
}

function simulatorAvailable(): Simulator | null {
  if (!spawnSync('verilator', ['--version']).error) return 'verilator';
  if (!spawnSync('iverilog', ['-V']).error) return 'icarus';
  return null;
}

/**
 * The model's IR for `dev`. Activation codes are computed exactly (`divround`, docs/IR.md §6)
 * when the part holds that program; otherwise through the reciprocal unit, as before the core
 * had a divider — the exact form keeps a layer's unnormalised input alive beside the normalised
 * one, which can take more block RAM than a small part has (columns-mnist-up5k: 41 EBR of 30).
 * `compile` lowers the model with the given options (compileFile or compileOnnx).
 */
export function compileForDevice(compile: (lower: Partial<LowerOptions>) => Compiled, dev: Device, log: (line: string) => void = () => {}): Compiled {
  const exact = compile({ exactQuant: true });
  let why: string;
  try {
    const p = buildProgram(exact.ir);
    configureCore(p, dev);
    if (fitsOn(p, dev)) return exact;
    try {
      checkFit(p, dev, '');
      why = `the exact form does not fit the ${dev.name}`;
    } catch (e) {
      why = `the exact form ${(e as Error).message.replace(/^does not fit/, 'does not fit')}`;
    }
  } catch (e) {
    if (!(e instanceof TritError)) throw e;
    why = `the core cannot run the exact form (${e.message})`;
  }
  log(`activation codes through the reciprocal unit: ${why} (a code near a rounding tie may differ from the float model's; docs/IR.md §6)`);
  return compile({ exactQuant: false });
}

/** Builds the Verilog design (and, on an iCE40, the bitstream) for `ir`. Returns the report. */
export async function buildVerilog(ir: IRGraph, o: VerilogBuildOptions): Promise<Record<string, unknown>> {
  const log = o.log ?? (() => {});
  const dev = deviceByName(o.device);
  const p = buildProgram(ir);
  configureCore(p, dev);
  const need = checkFit(p, dev, o.model);
  if (!o.noSynth) await tools(); // fails now, not after the simulation, when the FPGA flow is not installed
  log(
    `program: ${p.instrs.length} instructions × ${layout(p.widths).IW} bits, vram ${p.vramWords} words, data memory ${p.dmem.length} words ` +
      `(${p.dmemUse.weights} weight, ${p.dmemUse.constants} constant, ${p.dmemUse.tables} table)`,
  );
  if (dev.family === 'ice40')
    log(
      `core: ${unitsOf(p)}; operand prefetch ${p.overlap ? 'on' : `off (it would pass ${Math.round(ICE40_CORE.headroom * 100)}% of the part)`}; ` +
        `~${need.logic.toLocaleString('en-US')} of ${dev.logic.toLocaleString('en-US')} logic cells predicted (docs/verilog.md §A core per model)`,
    );
  checkOutput(o.outDir, 'dir');
  mkdirSync(o.outDir, { recursive: true });
  for (const n of sweepLeftovers(o.outDir)) log(`removed ${join(o.outDir, n)}, left by an earlier trit run that was killed`);
  const tmp = tempBeside(join(o.outDir, 'build'), 'build');
  trackTemp(tmp); // before the folder exists: a kill between the two would otherwise leave it behind
  mkdirSync(tmp);
  try {
    const rtl = join(tmp, 'rtl');
    mkdirSync(rtl);
    const clockHz = o.clockHz ?? 12e6;
    const baud = o.baud ?? 115200;
    const sources = dev.family === 'ice40' ? boardSources(p, clockHz, baud) : designFiles(p, 'ram');
    for (const [f, text] of Object.entries(sources)) writeFileSync(join(rtl, f), text);
    writeFileSync(join(rtl, 'tb_stream.v'), readFileSync(join(HDL_ROOT, 'sim', 'tb_stream.v'), 'utf8'));
    writeFileSync(join(tmp, 'dmem.bin'), new Uint8Array(p.dmem.buffer, p.dmem.byteOffset, p.dmem.byteLength));

    // One inference in simulation: the cycle count, and a bit-exact check against the interpreter.
    let cycles: Cycles | undefined;
    const simulator = simulatorAvailable();
    if (simulator) {
      log(`simulating one ${p.stateCount ? 'step' : 'inference'} (${simulator}) for the cycle count…`);
      const feeds: Record<string, ArrayLike<number>> = o.simFeeds ??
      Object.fromEntries(ir.inputs.map((i) => [i.name, new Float64Array(numel(i.type.shape))]));
      const sim = await HdlSim.start(p, join(tmp, 'sim'), simulator, undefined, { profile: true });
      try {
        const got = await sim.run(feeds);
        const want = new Interpreter(ir).run(feeds, { record: true });
        for (const out of p.outputs) {
          const w = want.values!.get(out.value)!;
          if (!w.every((x, i) => x === got.raw[out.name][i]))
            throw new TritError(
              `simulation differs from the interpreter on output '${out.name}' — a bug in trit's Verilog back-end, please report it`,
            );
        }
        cycles = {
          value: got.cycles,
          byOp: got.cyclesByOp,
          source: `measured in simulation (${simulator}), one ${p.stateCount ? 'step' : 'inference'}, equal to the interpreter bit for bit`,
        };
      } finally {
        await sim.close();
      }
      rmSync(join(tmp, 'sim'), { recursive: true, force: true });
    }

    let report: Record<string, unknown>;
    if (dev.family === 'ice40' && !o.noSynth) {
      log('synthesising (yosys synth_ice40), then place and route (nextpnr-ice40 --up5k) — several minutes (about 7 on a 2-core machine)…');
      let phase = '';
      const r = await buildIce40(p, {
        boardClockHz: clockHz,
        baud,
        targetMHz: o.targetMHz,
        seed: o.seed,
        seeds: o.seeds,
        onNote: log,
        cycles,
        onLog: (l) => {
          const ph = /Info: Packing|Info: Placed|Info: Routing|Info: Program finished|ICESTORM_LC:|Max frequency/.exec(l);
          if (ph && ph[0] !== phase) {
            phase = ph[0];
            log(`  ${l.replace(/^Info:\s*/, '').trim()}`);
          }
        },
      });
      writeFileSync(join(tmp, `${o.name}.bin`), r.bitstream);
      writeFileSync(join(tmp, 'yosys.log'), r.yosysLog.join('\n'));
      writeFileSync(join(tmp, 'nextpnr.log'), r.nextpnrLog.join('\n'));
      report = {
        ...r.report,
        model: o.model,
        cyclesPerToken: p.stateCount ? r.report.cyclesPerInference : undefined,
        cyclesByOp: cycles?.byOp ?? null,
        plan: need,
      };
    } else if (dev.family === 'xc7' && !o.noSynth) {
      log(`estimating resources on the ${dev.name} (yosys synth_xilinx; no place and route)…`);
      report = { ...(await estimateXilinx(p, dev.name)), model: o.model, ...cycleFields(cycles), plan: need };
    } else {
      report = { device: dev.name, model: o.model, ...cycleFields(cycles), plan: need, synthesised: false };
    }
    writeFileSync(join(tmp, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(tmp, `${o.name}.hdl.json`), JSON.stringify(manifest(p, { device: dev.name, clockHz, baud }), null, 2) + '\n');
    // Move into place.
    for (const f of readdirSync(tmp)) {
      const dst = join(o.outDir, f);
      if (existsSync(dst)) rmSync(dst, { recursive: true, force: true });
      renameSync(join(tmp, f), dst);
    }
    return report;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    releaseTemp(tmp);
  }
}

/** The opcodes the core is built for, as the log says them. */
function unitsOf(p: HdlProgram): string {
  return Object.entries(OPC)
    .filter(([op, k]) => op !== 'end' && p.opsUsed & (1 << k))
    .map(([op]) => op)
    .join(' ');
}
