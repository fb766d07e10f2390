/**
 * @fileoverview The open FPGA flow in Node: Yosys (`synth_ice40` / `synth_xilinx`) → nextpnr-ice40
 * → icepack, all through the @yowasp WebAssembly builds (no native tools), with their logs
 * streamed as progress and their machine-readable reports parsed into one report.
 */
import { TritError } from '../../common/errors.js';
import { designFiles, emitBoardTop, emitPcf, emitTop, libraryFiles } from './emit.js';
import { programHex, type HdlProgram } from './program.js';

type Tree = { [name: string]: Tree | string | Uint8Array };
type Log = (line: string) => void;

/** A streaming line splitter for the tools' stdout/stderr. */
function lines(onLine: Log, keep: string[]): (bytes: Uint8Array | null) => void {
  let buf = '';
  const dec = new TextDecoder();
  return (bytes) => {
    if (bytes === null) {
      if (buf) {
        keep.push(buf);
        onLine(buf);
      }
      buf = '';
      return;
    }
    buf += dec.decode(bytes, { stream: true });
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      keep.push(l);
      onLine(l);
    }
  };
}

/** The YoWASP tools, from the trit-fpga package (installed beside trit, or in this repository's workspace). */
export async function tools(): Promise<typeof import('trit-fpga')> {
  try {
    return await import('trit-fpga');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new TritError(
      'the FPGA flow is not installed (Yosys and nextpnr-ice40 come in the trit-fpga package)',
      {},
      'npm i trit-fpga (273 MB), or pass --no-synth to write and simulate the Verilog only',
    );
  }
}

async function yosys(args: string[], files: Tree, onLine: Log): Promise<{ files: Tree; log: string[] }> {
  const { runYosys } = await tools();
  const log: string[] = [];
  const out = lines(onLine, log);
  try {
    const res = await runYosys(args, files, { stdout: out, stderr: out });
    out(null);
    return { files: res as Tree, log };
  } catch (e) {
    out(null);
    throw new TritError(`yosys failed: ${(e as Error).message}\n${log.slice(-30).join('\n')}`);
  }
}

/** Cell counts from Yosys's `stat` output (the last table printed). */
export function parseYosysStat(log: string[]): Record<string, number> {
  const cells: Record<string, number> = {};
  let start = -1;
  for (let i = 0; i < log.length; i++) if (/Printing statistics|=== design hierarchy ===|=== trit_board ===/.test(log[i])) start = i;
  for (const l of log.slice(Math.max(0, start))) {
    const m = /^\s+(\d+)\s+(\S+)\s*$/.exec(l) ?? /^\s+(\S+)\s+(\d+)\s*$/.exec(l);
    if (!m) continue;
    const [name, n] = /^\d+$/.test(m[1]) ? [m[2], +m[1]] : [m[1], +m[2]];
    if (/^(SB_|LUT|FD|CARRY|MUXF|RAMB|DSP|SRL|RAM)/.test(name)) cells[name] = n;
  }
  return cells;
}

/** What an iCE40 build reports (report.json). */
export interface Ice40Report {
  device: string;
  package: string;
  logicCells: number;
  logicCellsAvailable: number;
  luts: number;
  carries: number;
  dffs: number;
  ebr: number;
  spram: number;
  dsp: number;
  io: number;
  fmaxMHz: number;
  targetMHz: number;
  /** The placement seed of this bitstream, and every seed the sweep tried with its Fmax. */
  seed: number;
  seedsTried: { seed: number; fmaxMHz: number }[];
  boardClockMHz: number;
  /** Measured in simulation; null when no simulator was installed. */
  cyclesPerInference: number | null;
  cyclesSource: string;
  inferencesPerSecondAtFmax: number | null;
  inferencesPerSecondAtBoardClock: number | null;
  bitstreamBytes: number;
  yosysSeconds: number;
  nextpnrSeconds: number;
  estimate: false;
}

/** Options of an iCE40 build. */
export interface Ice40Options {
  targetMHz?: number;
  boardClockHz?: number;
  baud?: number;
  /** The first placement seed (default 1). */
  seed?: number;
  /** Seeds to try, from `seed` on, until one routes at `floorMHz` (default 1: no sweep). */
  seeds?: number;
  /** The Fmax a seed must reach to end the sweep (default FMAX_FLOOR_MHZ). */
  floorMHz?: number;
  /** The tools' log lines. */
  onLog?: Log;
  /** What the flow itself says (the seed sweep). */
  onNote?: Log;
  /** Cycles per inference, measured in simulation; absent: reported as not measured. */
  cycles?: { value: number; source: string };
}

/** Every source file of the board design (also what `trit compile` writes out). */
export function boardSources(p: HdlProgram, clockHz: number, baud: number): Record<string, string> {
  return {
    ...libraryFiles('spram', true),
    'trit_top.v': emitTop(p, 'spram'),
    'trit_board.v': emitBoardTop(clockHz, baud),
    'program.hex': programHex(p),
    'trit_board.pcf': emitPcf(),
  };
}

/** Resource lines of nextpnr's "Device utilisation" table: name → used, available. */
export function parseUtilisation(log: string[]): Record<string, { used: number; available: number }> {
  const u: Record<string, { used: number; available: number }> = {};
  for (const l of log) {
    const m = /^Info:\s+(\w+):\s+(\d+)\/\s*(\d+)\s+\d+%/.exec(l.trim().replace(/\t/g, ' '));
    if (m) u[m[1]] = { used: +m[2], available: +m[3] };
  }
  return u;
}

const RESOURCE_NAMES: Record<string, string> = {
  ICESTORM_LC: 'logic cells',
  ICESTORM_RAM: 'EBR (4-Kbit block RAMs)',
  ICESTORM_SPRAM: 'SPRAMs',
  ICESTORM_DSP: 'DSPs',
  SB_IO: 'I/O pins',
};

/**
 * One TritError for a failed nextpnr run, saying what ran out and what to do. The YoWASP build
 * ends a failed run with a wasm trap ("unreachable"), which says nothing to a user: the reason is
 * in the log — an over-full device (the usual case: "Failed to expand region" while placing) or
 * a placement/routing failure.
 */
export function nextpnrError(log: string[], message: string, targetMHz: number): TritError {
  const over = Object.entries(parseUtilisation(log)).filter(([, v]) => v.used > v.available);
  const errors = log.filter((l) => /ERROR/.test(l)).slice(-3);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (over.length) {
    const what = over
      .map(([k, v]) => `${fmt(v.used)} ${RESOURCE_NAMES[k] ?? k} of ${fmt(v.available)} (${Math.floor((100 * v.used) / v.available)}%)`)
      .join(', ');
    return new TritError(
      `the design does not fit the UP5K: it needs ${what}`,
      {},
      'a smaller model (fewer or narrower layers, fewer op kinds), or --device xc7a35t for a larger part (a Yosys estimate); see docs/verilog.md §A core per model',
    );
  }
  const routing = errors.some((l) => /rout/i.test(l));
  return new TritError(
    `nextpnr-ice40 could not ${routing ? 'route' : 'place'} the design${errors.length ? `: ${errors.map((l) => l.replace(/^ERROR:\s*/, '')).join('; ')}` : ` (${message})`}`,
    {},
    `more placement seeds (--seeds N, or another --seed), a lower --fmax-target than ${targetMHz} MHz, or a smaller model`,
  );
}

/**
 * The Fmax a UP5K build should reach: twice the iCEBreaker's 12 MHz board clock, the margin the
 * shipped models are held to (docs/verilog.md §Margins). A seed below it is worth a retry.
 */
export const FMAX_FLOOR_MHZ = 24;

/** One nextpnr run: its report, placed design and log. */
export interface PnrRun {
  seed: number;
  fmaxMHz: number;
  rep: { fmax: Record<string, { achieved: number }>; utilization: Record<string, { used: number; available: number }> };
  asc: Tree | string | Uint8Array;
  log: string[];
}

/**
 * Places and routes with seeds first, first+1, … (at most `n`) until one reaches `floorMHz`, and
 * keeps the fastest. At 90–98% of the UP5K's cells Fmax is decided by placement: the same netlist
 * routes ±1–2 MHz apart with different seeds (docs/verilog.md §Margins), so a seed that misses
 * the floor is retried rather than shipped. A design that does not fit fails on every seed: that
 * error ends the sweep at once; a routing failure moves on to the next seed.
 */
export async function sweepSeeds(
  first: number,
  n: number,
  floorMHz: number,
  run: (seed: number) => Promise<PnrRun>,
  note: Log = () => {},
): Promise<{ best: PnrRun; tried: PnrRun[] }> {
  const tried: PnrRun[] = [];
  let lastError: unknown;
  for (let seed = first; seed < first + Math.max(1, n); seed++) {
    let r: PnrRun;
    try {
      r = await run(seed);
    } catch (e) {
      if (e instanceof TritError && /does not fit/.test(e.message)) throw e;
      lastError = e;
      if (seed + 1 < first + n) note(`seed ${seed}: ${(e as Error).message}; trying seed ${seed + 1}`);
      continue;
    }
    tried.push(r);
    if (r.fmaxMHz >= floorMHz) break;
    if (seed + 1 < first + n)
      note(`seed ${seed} routes at ${r.fmaxMHz.toFixed(2)} MHz, below the ${floorMHz} MHz floor; placing again with seed ${seed + 1}`);
  }
  if (!tried.length) throw lastError;
  const best = tried.reduce((a, b) => (b.fmaxMHz > a.fmaxMHz ? b : a));
  if (tried.length > 1)
    note(`kept seed ${best.seed}: ${best.fmaxMHz.toFixed(2)} MHz (${tried.map((t) => `seed ${t.seed} ${t.fmaxMHz.toFixed(2)}`).join(', ')})`);
  return { best, tried };
}

/** nextpnr-ice40 for the UP5K (SG48) at one seed. */
async function placeAndRoute(json: Tree | string | Uint8Array, pcf: string, targetMHz: number, seed: number, log: Log): Promise<PnrRun> {
  const { runNextpnrIce40 } = await tools();
  const npLog: string[] = [];
  const npOut = lines(log, npLog);
  let pnr: Tree;
  try {
    pnr = (await runNextpnrIce40(
      [
        '--up5k',
        '--package',
        'sg48',
        '--json',
        'design.json',
        '--pcf',
        'trit_board.pcf',
        '--asc',
        'design.asc',
        '--report',
        'report.json',
        '--freq',
        String(targetMHz),
        '--timing-allow-fail',
        '--seed',
        String(seed),
      ],
      { 'design.json': json, 'trit_board.pcf': pcf },
      { stdout: npOut, stderr: npOut },
    )) as Tree;
    npOut(null);
  } catch (e) {
    npOut(null);
    throw nextpnrError(npLog, (e as Error).message, targetMHz);
  }
  const rep = JSON.parse(String(pnr['report.json'])) as PnrRun['rep'];
  const fmaxMHz = Math.min(...Object.values(rep.fmax).map((f) => f.achieved));
  return { seed, fmaxMHz, rep, asc: pnr['design.asc'], log: npLog };
}

/** Synthesises, places, routes and packs the board design for the iCEBreaker (UP5K, SG48). */
export async function buildIce40(
  p: HdlProgram,
  opts: Ice40Options = {},
): Promise<{ report: Ice40Report; bitstream: Uint8Array; sources: Record<string, string>; yosysLog: string[]; nextpnrLog: string[] }> {
  const log = opts.onLog ?? (() => {});
  const clockHz = opts.boardClockHz ?? 12e6;
  const target = opts.targetMHz ?? 30;
  const sources = boardSources(p, clockHz, opts.baud ?? 115200);
  const vfiles = Object.keys(sources).filter((f) => f.endsWith('.v'));
  const t0 = Date.now();
  const y = await yosys(
    [
      '-q',
      '-l',
      'yosys.log',
      '-p',
      `read_verilog -DSYNTHESIS ${vfiles.join(' ')}; synth_ice40 -top trit_board -dsp -json design.json; tee -o stat.txt stat`,
    ],
    sources,
    log,
  );
  const ySec = (Date.now() - t0) / 1000;
  const stat = typeof y.files['stat.txt'] === 'string' ? (y.files['stat.txt'] as string).split('\n') : y.log;
  const cells = parseYosysStat(stat);
  const json = y.files['design.json'];
  if (!json) throw new TritError('yosys wrote no netlist');

  const { runIcepack } = await tools();
  const t1 = Date.now();
  const floor = opts.floorMHz ?? FMAX_FLOOR_MHZ;
  const { best, tried } = await sweepSeeds(
    opts.seed ?? 1,
    opts.seeds ?? 1,
    floor,
    (seed) => placeAndRoute(json, sources['trit_board.pcf'], target, seed, log),
    opts.onNote,
  );
  const { rep, asc, log: npLog } = best;
  const npSec = (Date.now() - t1) / 1000;
  const packed = (await runIcepack(['design.asc', 'design.bin'], { 'design.asc': asc })) as Tree;
  const bin = packed['design.bin'];
  if (!(bin instanceof Uint8Array)) throw new TritError('icepack wrote no bitstream');

  const u = (k: string) => rep.utilization[k]?.used ?? 0;
  const fmax = best.fmaxMHz;
  const cyc = opts.cycles;
  const report: Ice40Report = {
    device: 'ice40-up5k',
    package: 'sg48',
    logicCells: u('ICESTORM_LC'),
    logicCellsAvailable: rep.utilization.ICESTORM_LC?.available ?? 5280,
    luts: cells.SB_LUT4 ?? 0,
    carries: cells.SB_CARRY ?? 0,
    dffs: Object.entries(cells)
      .filter(([k]) => k.startsWith('SB_DFF'))
      .reduce((s, [, v]) => s + v, 0),
    ebr: u('ICESTORM_RAM'),
    spram: u('ICESTORM_SPRAM'),
    dsp: u('ICESTORM_DSP'),
    io: u('SB_IO'),
    fmaxMHz: Math.round(fmax * 100) / 100,
    targetMHz: target,
    seed: best.seed,
    seedsTried: tried.map((a) => ({ seed: a.seed, fmaxMHz: Math.round(a.fmaxMHz * 100) / 100 })),
    boardClockMHz: clockHz / 1e6,
    cyclesPerInference: cyc?.value ?? null,
    cyclesSource: cyc?.source ?? 'not measured: no simulator installed (setup.sh installs verilator)',
    inferencesPerSecondAtFmax: cyc ? Math.round(((fmax * 1e6) / cyc.value) * 10) / 10 : null,
    inferencesPerSecondAtBoardClock: cyc ? Math.round((clockHz / cyc.value) * 10) / 10 : null,
    bitstreamBytes: bin.length,
    yosysSeconds: ySec,
    nextpnrSeconds: npSec,
    estimate: false,
  };
  if (fmax * 1e6 < clockHz) {
    throw new TritError(
      `the routed design reaches ${fmax.toFixed(1)} MHz, below the board clock of ${clockHz / 1e6} MHz`,
      {},
      'more placement seeds (--seeds N, or another --seed), or a slower --clock',
    );
  }
  return { report, bitstream: bin, sources, yosysLog: y.log, nextpnrLog: npLog };
}

/** A Yosys `synth_xilinx` resource estimate for a 7-series part: no place and route. */
export async function estimateXilinx(p: HdlProgram, part: string, onLog: Log = () => {}): Promise<Record<string, unknown>> {
  const sources = designFiles(p, 'ram');
  const vfiles = Object.keys(sources).filter((f) => f.endsWith('.v'));
  const t0 = Date.now();
  const y = await yosys(
    ['-q', '-p', `read_verilog ${vfiles.join(' ')}; synth_xilinx -family xc7 -top trit_top; tee -o stat.txt stat`],
    sources,
    onLog,
  );
  const stat = typeof y.files['stat.txt'] === 'string' ? (y.files['stat.txt'] as string).split('\n') : y.log;
  const cells = parseYosysStat(stat);
  const sum = (re: RegExp) =>
    Object.entries(cells)
      .filter(([k]) => re.test(k))
      .reduce((s, [, v]) => s + v, 0);
  return {
    device: part,
    estimate: true,
    note: 'Yosys synth_xilinx cell counts before place and route: an estimate, not a fit; no Fmax without Vivado or nextpnr-xilinx.',
    luts: sum(/^LUT\d/),
    carry4: cells.CARRY4 ?? 0,
    ffs: sum(/^FD/),
    bram36: cells.RAMB36E1 ?? 0,
    bram18: cells.RAMB18E1 ?? 0,
    dsp48: cells.DSP48E1 ?? 0,
    lutram: sum(/^RAM\d|^RAM[SD]/),
    cells,
    yosysSeconds: (Date.now() - t0) / 1000,
  };
}
