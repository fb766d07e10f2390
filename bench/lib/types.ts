/**
 * @fileoverview The shape of a benchmark result file (`bench/results/<date>-<host>.json`). The
 * runner (bench/suite/) fills it, the renderer (bench/lib/report.ts) turns it into report.md and
 * SVG plots; both sides meet only here, so a result file can be re-rendered later.
 */
import type { CpuPower, FpgaEnergy, OpEnergy, OpProfile } from './energy.js';
import type { Summary } from './stats.js';

/** How a figure was obtained. */
export type How = 'measured' | 'modelled' | 'op-count model' | 'reported';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  host: string;
  date: string;
  cpuFamilyModel: string;
}

export interface KernelRow {
  shape: string;
  gWeightsPerSec: Summary;
  streamGBps: Summary;
  rooflineGWeightsPerSec: number;
  fractionOfRoofline: number;
}

/** One runtime configuration on one model, over its repeats. */
export interface TargetRow {
  /** e.g. 'trit wasm', 'onnxruntime-node', 'PyTorch int8 baseline'. */
  target: string;
  threads: number;
  /** 'ternary' for everything that runs the MatMul-free model; 'fp32'/'int8' for the baselines. */
  arithmetic: 'ternary' | 'fp32' | 'int8';
  repeats: number;
  /** tokens/s for LMs, images/s for classifiers. */
  rate: Summary | null;
  /** First token (or image) latency, ms, cold. */
  firstMs: Summary | null;
  peakRssMiB: Summary | null;
  /** CPU-seconds per token (image), all threads. */
  cpuSecondsPerItem: Summary | null;
  energy: { how: How; basis: string; joulesPerItem: Summary | null; watts: Summary | null } | null;
  accuracy?: number;
  error?: string;
  note?: string;
}

export interface ModelRows {
  model: string;
  kind: 'lm' | 'classifier';
  /** What the rows compute per item: "token" or "image". */
  item: string;
  ternaryWeights: number;
  compile?: { seconds: number; peakRssMiB?: number; wasmMiB: number };
  ops: OpProfile;
  opModel: OpEnergy[];
  rows: TargetRow[];
}

export interface FpgaRow {
  model: string;
  item: string;
  report: {
    logicCells: number;
    logicCellsAvailable: number;
    ebr: number;
    spram: number;
    dsp: number;
    fmaxMHz: number;
    boardClockMHz: number;
    cyclesPerInference: number | null;
    inferencesPerSecondAtFmax: number | null;
  } | null;
  activity: { toggleRate: number; products: number; cycles: number; bits: number; vcdBytes: number } | null;
  atFmax: FpgaEnergy | null;
  atBoardClock: FpgaEnergy | null;
  note?: string;
}

export interface Anchor {
  system: string;
  model: string;
  hardware: string;
  tokensPerSec: number | null;
  watts: number | null;
  joulesPerToken: number | null;
  source: string;
}

export interface BenchResult {
  schema: 1;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  repeats: number;
  cpuPower: CpuPower;
  rapl: { available: boolean; note: string };
  gpu: { available: boolean; note: string };
  kernels: KernelRow[];
  models: ModelRows[];
  fpga: FpgaRow[];
  anchors: Anchor[];
  seconds: number;
  notes: string[];
}
