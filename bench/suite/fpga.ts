/**
 * @fileoverview The FPGA side of the benchmark: the UP5K build reports (logic cells, Fmax, cycles,
 * throughput) and the switching activity of one whole inference, counted from a VCD of a
 * Verilator simulation of the same design (every signal of the core, every cycle), which feeds
 * the UP5K power model in bench/lib/energy.ts.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile } from '../../compiler/node.js';
import { TritError } from '../../common/errors.js';
import { buildProgram } from '../../hdl-gen/src/program.js';
import { compileForDevice } from '../../hdl-gen/src/build.js';
import { configureCore, deviceByName } from '../../hdl-gen/src/device.js';
import { HdlSim } from '../../hdl-gen/src/sim.js';
import { VcdCounter, type VcdActivity } from '../lib/vcd.js';
import type { FpgaActivity } from '../lib/energy.js';

export interface FpgaReport {
  logicCells: number;
  logicCellsAvailable: number;
  ebr: number;
  spram: number;
  dsp: number;
  fmaxMHz: number;
  boardClockMHz: number;
  cyclesPerInference: number | null;
  inferencesPerSecondAtFmax: number | null;
  bitstreamBytes?: number;
  yosysSeconds?: number;
  nextpnrSeconds?: number;
}

/** A build's report.json, or null when the folder has none. */
export function readFpgaReport(dir: string): FpgaReport | null {
  const p = join(dir, 'report.json');
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as FpgaReport;
}

/** Runs `trit compile --target verilog --device up5k` (the full Yosys + nextpnr flow) into `dir`. */
export function buildUp5k(cli: string, onnx: string, calibration: string, dir: string, log: (s: string) => void): Promise<void> {
  log(`  building the UP5K bitstream of ${onnx} (Yosys + nextpnr: several minutes)…`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, 'compile', onnx, '--target', 'verilog', '--device', 'up5k', '-o', dir, '--calibration', calibration], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new TritError(
              `the UP5K build failed:\n${err.trim().split('\n').slice(-6).join('\n')}`,
              { file: onnx },
              'run the trit compile command above by itself to see its full output',
            ),
          ),
    );
  });
}

export interface ActivityResult extends VcdActivity {
  /** Cycles the design itself counted for the inference (must equal the VCD's window). */
  designCycles: number;
  vcdBytes: number;
  seconds: number;
}

/**
 * Simulates one inference with a full VCD trace and counts the core's toggles while it runs. The
 * trace goes to a temporary file (about 1 GB for the UP5K classifier), read back as a stream and
 * deleted: a FIFO would avoid the disk, but Verilator opens its trace file non-blocking, which
 * fails on a FIFO without a reader and then traces nothing.
 */
export async function measureActivity(
  onnx: string,
  calibration: string,
  feeds: Record<string, ArrayLike<number>>,
  log: (s: string) => void,
): Promise<ActivityResult> {
  const t0 = Date.now();
  const c = compileForDevice((lower) => compileFile(onnx, calibration, lower, 'fpga'), deviceByName('up5k'));
  const program = buildProgram(c.ir);
  configureCore(program, deviceByName('up5k')); // the same core the build made (prefetch on or off)
  const dir = mkdtempSync(join(tmpdir(), 'trit-activity-'));
  try {
    const vcd = join(dir, 'trace.vcd');
    log('  building the traced Verilator model…');
    const sim = await HdlSim.start(program, join(dir, 'sim'), 'verilator', vcd);
    log('  simulating one inference with a full VCD trace…');
    const r = await sim.run(feeds);
    await sim.close();
    log(`  counting toggles in the ${(statSync(vcd).size / 2 ** 20).toFixed(0)} MiB trace…`);
    const counter = new VcdCounter({
      clock: 'trit_top.clk_i',
      window: 'u_host.counting_q',
      scope: '.u_core.',
      strobes: { products: 'u_core.mul_start_q' },
    });
    let vcdBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(vcd, { encoding: 'latin1', highWaterMark: 1 << 22 });
      stream.on('data', (chunk) => {
        vcdBytes += chunk.length;
        counter.push(chunk as string);
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const a = counter.end();
    if (a.cycles !== r.cycles && Math.abs(a.cycles - r.cycles) > 2) {
      throw new Error(`activity trace: ${a.cycles} cycles in the VCD window, but the design counted ${r.cycles}`);
    }
    return { ...a, designCycles: r.cycles, vcdBytes, seconds: (Date.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the UP5K power model (bench/lib/energy.ts fpgaModel) needs of a build and its traced inference. */
export function activityOf(report: FpgaReport, a: ActivityResult): FpgaActivity {
  return {
    cycles: a.designCycles,
    logicCells: report.logicCells,
    toggleRate: a.toggleRate,
    products: a.strobes.products,
    ramBitsPerCycle: (report.ebr + 1) * 16, // every EBR port and one SPRAM bank, 16 bits a cycle
  };
}
