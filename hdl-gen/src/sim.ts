/**
 * @fileoverview Whole-design simulation: builds the generated design with Icarus Verilog or
 * Verilator and talks to it over the same word protocol as the board (stdin/stdout, one hex
 * word per line), so a test drives the simulated hardware exactly as a host drives the FPGA.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TritError } from '../../common/errors.js';
import { roundReal } from '../../compiler/ir/arith.js';
import { satRange } from '../../compiler/ir/types.js';
import { HDL_ROOT, designFiles } from './emit.js';
import type { HdlProgram } from './program.js';

export type Simulator = 'icarus' | 'verilator';

/** Command words of the stream protocol (trit_host.v). */
export const CMD = { load: 1, run: 2, reset: 3, info: 4 } as const;
/** What LOAD and RESET answer: "trit". */
export const ACK = 0x74726974;

function need(tool: string): void {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error) throw new TritError(`${tool} is not installed`, {}, 'install it with: apt-get install iverilog verilator (models/setup.sh does)');
}

/**
 * Writes the design into `dir` and compiles it; returns the command that runs it. `trace` (Verilator
 * only) builds the harness that writes a VCD of every signal to $TRIT_VCD (bench/suite/fpga.ts).
 */
export function buildSim(
  p: HdlProgram,
  dirIn: string,
  simulator: Simulator,
  trace = false,
  defines: string[] = [],
): { cmd: string; args: string[]; cwd: string } {
  const dir = resolve(dirIn); // the simulator runs with cwd = dir, so every path must be absolute
  mkdirSync(dir, { recursive: true });
  const files = designFiles(p, 'ram');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const vfiles = Object.keys(files).filter((f) => f.endsWith('.v'));
  if (simulator === 'icarus') {
    need('iverilog');
    const r = spawnSync(
      'iverilog',
      ['-g2005', ...defines.map((d) => `-D${d}`), '-o', 'sim.vvp', '-s', 'tb_stream', join(HDL_ROOT, 'sim', 'tb_stream.v'), ...vfiles],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new TritError(`iverilog failed:\n${r.stderr}${r.stdout}`);
    return { cmd: 'vvp', args: ['-n', 'sim.vvp'], cwd: dir };
  }
  need('verilator');
  const exe = join(dir, 'obj', 'Vtrit_top');
  const r = spawnSync(
    'verilator',
    [
      '--cc',
      '--exe',
      '--build',
      '-O3',
      '-Wno-fatal',
      '-Wno-lint',
      '-Wno-style',
      '--top-module',
      'trit_top',
      '-Mdir',
      'obj',
      ...(trace ? ['--trace', '-CFLAGS', '-DTRIT_TRACE'] : []),
      ...defines.map((d) => `-D${d}`),
      '-CFLAGS',
      '-O2',
      join(HDL_ROOT, 'sim', 'sim_main.cpp'),
      ...vfiles,
    ],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0 || !existsSync(exe)) throw new TritError(`verilator failed:\n${r.stderr.slice(-4000)}`);
  return { cmd: exe, args: [], cwd: dir };
}

/** Simulation-only switches of the core. */
export interface SimOptions {
  /** Report where each instruction starts, so that runs return `cyclesByOp`. */
  profile?: boolean;
  /** false: the core without operand prefetch (the "before" of bench/fpga-cycles.ts). */
  overlap?: boolean;
}

/** A running simulation of one design, driven word by word. */
export class HdlSim {
  private proc: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiters: (() => void)[] = [];
  private exited = false;
  private stderr = '';
  /** Profile lines of the current run: [pc, cycle the instruction started]. */
  private starts: [number, number][] = [];
  readonly program: HdlProgram;

  private constructor(p: HdlProgram, run: { cmd: string; args: string[]; cwd: string }, env?: Record<string, string>) {
    this.program = p;
    this.proc = spawn(run.cmd, run.args, { cwd: run.cwd, stdio: 'pipe', env: env ? { ...process.env, ...env } : process.env });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      const t = l.trim();
      const prof = /^trit-profile (\d+) (\d+)$/.exec(t);
      if (prof) this.starts.push([+prof[1], +prof[2]]);
      else if (/^[0-9a-f]{8}$/i.test(t)) {
        this.lines.push(t);
        this.wake();
      } else if (/^[0-9a-fxz]{8}$/i.test(t)) {
        this.stderr += `undefined (x/z) word from the design: ${t}\n`;
        this.proc.kill();
      }
    });
    this.proc.stderr.on('data', (d) => {
      this.stderr += d;
    });
    this.proc.on('exit', () => {
      this.exited = true;
      this.wake();
    });
    this.proc.on('error', (e) => {
      this.stderr += `could not start ${run.cmd}: ${e.message}`;
      this.exited = true;
      this.wake();
    });
  }

  /**
   * Builds (in `dir`) and starts a simulation, then loads the data memory. `vcd` (Verilator only):
   * write a VCD of every signal to that path.
   */
  static async start(p: HdlProgram, dir: string, simulator: Simulator = 'icarus', vcd?: string, opts: SimOptions = {}): Promise<HdlSim> {
    const built = opts.overlap === undefined ? p : { ...p, overlap: opts.overlap }; // the core's Overlap parameter
    const defines = opts.profile ? ['TRIT_PROFILE'] : [];
    const sim = new HdlSim(p, buildSim(built, dir, simulator, vcd !== undefined, defines), vcd !== undefined ? { TRIT_VCD: vcd } : undefined);
    await sim.load();
    await sim.reset(); // state RAM powers up undefined; the interpreter starts from zeros
    return sim;
  }

  /** Starts an already built simulation (`run` as buildSim returns it) and loads the data memory. */
  static async attach(p: HdlProgram, run: { cmd: string; args: string[]; cwd: string }): Promise<HdlSim> {
    const sim = new HdlSim(p, run);
    await sim.load();
    await sim.reset();
    return sim;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private send(words: ArrayLike<number>): void {
    let s = '';
    for (let i = 0; i < words.length; i++) s += (words[i] >>> 0).toString(16) + '\n';
    this.proc.stdin.write(s);
  }

  private async read(n: number): Promise<number[]> {
    while (this.lines.length < n) {
      if (this.exited) throw new TritError(`simulation ended early${this.stderr ? ': ' + this.stderr.slice(-2000) : ''}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.lines.splice(0, n).map((l) => parseInt(l, 16) >>> 0);
  }

  private async expectAck(what: string): Promise<void> {
    const [w] = await this.read(1);
    if (w !== ACK) throw new TritError(`${what}: the design answered ${w.toString(16)}, not the ack`);
  }

  /** CMD_LOAD: the data memory image, two 16-bit words per stream word. */
  async load(): Promise<void> {
    const d = this.program.dmem;
    const words = new Uint32Array(1 + d.length / 2);
    words[0] = CMD.load;
    for (let i = 0; i < d.length / 2; i++) words[1 + i] = (d[2 * i] | (d[2 * i + 1] << 16)) >>> 0;
    this.send(words);
    await this.expectAck('load');
  }

  /** CMD_INFO: the design's signature. */
  async info(): Promise<number> {
    this.send([CMD.info]);
    return (await this.read(1))[0];
  }

  /** CMD_RESET: zero the recurrent state. */
  async reset(): Promise<void> {
    this.send([CMD.reset]);
    await this.expectAck('reset');
  }

  /** CMD_RUN with raw integer inputs (the hardware's side of the f32 edges). */
  async runRaw(inputs: Int32Array): Promise<{ outputs: Int32Array; cycles: number; cyclesByOp?: Record<string, number> }> {
    const p = this.program;
    if (inputs.length !== p.inCount) throw new TritError(`expected ${p.inCount} input words, got ${inputs.length}`);
    const words = new Uint32Array(1 + inputs.length);
    words[0] = CMD.run;
    words.set(new Uint32Array(inputs.buffer, inputs.byteOffset, inputs.length), 1);
    this.starts = [];
    this.send(words);
    const got = await this.read(p.outCount + 1);
    const cycles = got[p.outCount];
    return {
      outputs: Int32Array.from(got.slice(0, p.outCount), (v) => v | 0),
      cycles,
      cyclesByOp: this.starts.length ? splitByOp(p, this.starts, cycles) : undefined,
    };
  }

  /** One inference with named feeds; f32 inputs are quantized and outputs dequantized here. */
  async run(
    feeds: Record<string, ArrayLike<number>>,
  ): Promise<{ outputs: Record<string, Float64Array>; raw: Record<string, Int32Array>; cycles: number; cyclesByOp?: Record<string, number> }> {
    const buf = new Int32Array(this.program.inCount);
    for (const inp of this.program.inputs) {
      const v = feeds[inp.name];
      if (!v || v.length !== inp.count) throw new TritError(`input '${inp.name}' needs ${inp.count} values`, { tensor: inp.name });
      for (let i = 0; i < inp.count; i++) buf[inp.offset - this.program.inBase + i] = hostQuantize(v[i], inp.quantize);
    }
    const { outputs: out, cycles, cyclesByOp } = await this.runRaw(buf);
    const outputs: Record<string, Float64Array> = {};
    const raw: Record<string, Int32Array> = {};
    for (const o of this.program.outputs) {
      const r = out.subarray(o.offset - this.program.outBase, o.offset - this.program.outBase + o.count);
      raw[o.name] = Int32Array.from(r);
      outputs[o.name] = Float64Array.from(r, (x) => (o.dequantize ? Math.fround(x * 2 ** -o.frac) : x));
    }
    return { outputs, raw, cycles, cyclesByOp };
  }

  /** Ends the simulator. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.proc.stdin.end();
    await new Promise<void>((r) => {
      if (this.exited) r();
      else this.proc.on('exit', () => r());
    });
  }
}

/**
 * Cycles of one run by op kind, from where each instruction started (a profiled simulation):
 * an instruction's cycles run to the next one's start (its fetch and decode included); the
 * cycles before the first and from END on count as `control`.
 */
export function splitByOp(p: HdlProgram, starts: [number, number][], total: number): Record<string, number> {
  const by: Record<string, number> = {};
  const add = (k: string, n: number) => (by[k] = (by[k] ?? 0) + n);
  if (starts.length) add('control', starts[0][1]);
  starts.forEach(([pc, at], i) => {
    const op = p.instrs[pc]?.op ?? '?';
    add(op === 'end' ? 'control' : op, (i + 1 < starts.length ? starts[i + 1][1] : total) - at);
  });
  return by;
}

/** The interpreter's quantize edge (compiler/interp/interp.ts), run on the host. */
export function hostQuantize(
  x: number,
  q: { frac: number; round: import('../../compiler/ir/arith.js').RoundMode; dtype: import('../../compiler/ir/types.js').DType } | undefined,
): number {
  if (!q) return x;
  if (!Number.isFinite(x)) throw new TritError(`input holds ${x}`);
  const v = roundReal(Math.fround(x) * 2 ** q.frac, q.round);
  const [lo, hi] = satRange(q.dtype);
  return v < lo ? lo : v > hi ? hi : v;
}
