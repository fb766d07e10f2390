/**
 * @fileoverview The energy models of the "watts per token" table, with their constants and sources
 * (docs/benchmarks.md explains each). Every result carries `how`: 'measured' (a meter: RAPL, NVML),
 * 'modelled' (measured activity × a published per-unit energy) or 'op-count model' (operation counts
 * × per-operation energies). The report never mixes them in one column without that label.
 *
 * Sources:
 *  - Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm, 0.9 V: per-operation and per-access
 *    energies (ASIC figures; they rank operations, they are not this CPU's energies).
 *  - tinyvision-ai-inc/ice40_power: Joulescope measurements of an iCE40 UP5K core rail at 1.219 V,
 *    from which the clock, idle-cell and active-cell energies below are derived.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Horowitz 2014, picojoules per operation or per 64-bit access (45 nm). */
export const HOROWITZ_PJ = {
  add8: 0.03,
  add16: 0.05,
  add32: 0.1,
  mul8: 0.2,
  mul32: 3.1,
  fadd16: 0.4,
  fadd32: 0.9,
  fmul16: 1.1,
  fmul32: 3.7,
  sram8KB64: 10,
  sram32KB64: 20,
  sram1MB64: 100,
  dram64: 1300, // the low end of the quoted 1.3–2.6 nJ
} as const;

// ---------------------------------------------------------------------------------------------
// CPU: RAPL when readable, otherwise CPU-seconds × a per-core power.
// ---------------------------------------------------------------------------------------------

export interface CpuPower {
  /** What the figure is: the part and how the per-core power was obtained. */
  basis: string;
  wattsPerCore: number;
}

/**
 * Per-core power for CPUs by x86 family/model: the vendor TDP divided by the physical cores of a
 * representative part of that generation. A VM rarely names its SKU (this one says only "Intel(R)
 * Xeon(R) Processor"), so the generation is what can be detected. TDP/cores is a core's share of a
 * fully loaded package: one busy core of an idle package may draw more (turbo, uncore) and a
 * hyperthread (a VM's vCPU) less; docs/benchmarks.md discusses the error.
 */
const CPU_POWER: { vendor: string; family: number; models: number[]; generation: string; part: string; tdpW: number; cores: number }[] = [
  { vendor: 'GenuineIntel', family: 6, models: [207], generation: 'Xeon 5th gen (Emerald Rapids)', part: 'Xeon Platinum 8580', tdpW: 350, cores: 60 },
  {
    vendor: 'GenuineIntel',
    family: 6,
    models: [143],
    generation: 'Xeon 4th gen (Sapphire Rapids)',
    part: 'Xeon Platinum 8480+',
    tdpW: 350,
    cores: 56,
  },
  { vendor: 'GenuineIntel', family: 6, models: [106], generation: 'Xeon 3rd gen (Ice Lake-SP)', part: 'Xeon Platinum 8380', tdpW: 270, cores: 40 },
  {
    vendor: 'GenuineIntel',
    family: 6,
    models: [85],
    generation: 'Xeon Scalable 1st/2nd gen (Skylake/Cascade Lake-SP)',
    part: 'Xeon Platinum 8280',
    tdpW: 205,
    cores: 28,
  },
  { vendor: 'AuthenticAMD', family: 25, models: [1], generation: 'EPYC 7003 (Zen 3)', part: 'EPYC 7763', tdpW: 280, cores: 64 },
  { vendor: 'AuthenticAMD', family: 25, models: [17], generation: 'EPYC 9004 (Zen 4)', part: 'EPYC 9654', tdpW: 360, cores: 96 },
];

/** The fallback when the generation is not in the table: a typical 2020s server core. */
export const GENERIC_WATTS_PER_CORE = 6;

/** One field of /proc/cpuinfo's text (its first processor), e.g. 'vendor_id'. */
export function cpuinfoField(cpuinfo: string, key: string): string | undefined {
  return new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo)?.[1]?.trim();
}

/** Per-core power for the CPU described by /proc/cpuinfo's text (vendor_id, cpu family, model). */
export function cpuPowerFor(cpuinfo: string, override?: number): CpuPower {
  if (override !== undefined) return { basis: `given on the command line (--watts-per-core ${override})`, wattsPerCore: override };
  const field = (k: string) => cpuinfoField(cpuinfo, k);
  const vendor = field('vendor_id') ?? '',
    family = Number(field('cpu family')),
    model = Number(field('model'));
  const hit = CPU_POWER.find((c) => c.vendor === vendor && c.family === family && c.models.includes(model));
  if (hit) {
    return {
      basis: `${hit.generation} (family ${family} model ${model}): ${hit.part} TDP ${hit.tdpW} W / ${hit.cores} cores`,
      wattsPerCore: hit.tdpW / hit.cores,
    };
  }
  return {
    basis: `unrecognised CPU (${vendor || '?'} family ${family} model ${model}): generic ${GENERIC_WATTS_PER_CORE} W per busy core`,
    wattsPerCore: GENERIC_WATTS_PER_CORE,
  };
}

export function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** CPU energy model: CPU-seconds the run consumed × per-core power. */
export function cpuModelJoules(cpuSeconds: number, p: CpuPower): number {
  return cpuSeconds * p.wattsPerCore;
}

/** A readable RAPL package domain under /sys/class/powercap. */
export interface RaplDomain {
  path: string;
  name: string;
  maxUj: number;
}

/** The package-level RAPL domains this process can read; empty when RAPL is absent or unreadable. */
export function raplDomains(root = '/sys/class/powercap'): RaplDomain[] {
  if (!existsSync(root)) return [];
  const out: RaplDomain[] = [];
  for (const d of readdirSync(root)) {
    if (!/^intel-rapl:\d+$/.test(d)) continue; // packages only; sub-domains (core, dram) overlap
    const path = join(root, d);
    try {
      const name = readFileSync(join(path, 'name'), 'utf8').trim();
      const maxUj = Number(readFileSync(join(path, 'max_energy_range_uj'), 'utf8'));
      readFileSync(join(path, 'energy_uj'), 'utf8'); // readable? (root-only since CVE-2020-8694)
      out.push({ path, name, maxUj });
    } catch {
      /* unreadable: not usable */
    }
  }
  return out;
}

/** Reads every domain's counter (µJ). */
export function raplRead(domains: readonly RaplDomain[]): number[] {
  return domains.map((d) => Number(readFileSync(join(d.path, 'energy_uj'), 'utf8')));
}

/** Joules between two readings, allowing one wrap of each counter. */
export function raplJoules(domains: readonly RaplDomain[], before: readonly number[], after: readonly number[]): number {
  let uj = 0;
  domains.forEach((d, i) => {
    uj += after[i] >= before[i] ? after[i] - before[i] : after[i] + d.maxUj - before[i];
  });
  return uj / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Operation-count model (Horowitz 2014) applied to the IR's statistics.
// ---------------------------------------------------------------------------------------------

/** What one inference does, from the IR (compiler/ir/stats.ts) plus the bytes it touches. */
export interface OpProfile {
  /** Ternary weights in the matrix layers (zero or not) and rows of input per weight. */
  weights: number;
  /** Nonzero weights × rows: the adds and subtracts of the matrix layers. */
  weightAdds: number;
  /** Elementwise adds/subs/reduction adds outside the matrix layers. */
  elementwiseAdds: number;
  /** Multiplies outside the matrix layers (constant and variable). */
  elementwiseMultiplies: number;
  lookups: number;
  /** Bytes of other constants read per inference (norm vectors, tables, one embedding row). */
  otherBytes: number;
}

/** The designs the model prices: trit's ternary program and equally sized matrix-multiply ones. */
export type OpVariant = 'ternary' | 'int8' | 'fp32';

export interface OpEnergy {
  variant: OpVariant;
  joules: number;
  /** Where the weights were priced from: on-chip SRAM or DRAM (by their size against the cache). */
  weightTier: 'sram' | 'dram';
  breakdown: { matrix: number; elementwise: number; weightMemory: number; otherMemory: number };
}

const PJ = 1e-12;

/**
 * Energy of one inference under the op-count model. Matrix layers: trit does one 32-bit add per
 * nonzero weight (zeros are skipped); int8 one 8-bit multiply and one 32-bit add per weight; fp32
 * one float multiply and one float add per weight. Weights are read once per inference at 2, 8 or
 * 32 bits, from DRAM when that variant's weights exceed `cacheBytes`, else from a 1 MB-class SRAM.
 * The elementwise part is the IR's (exact integer) at 32-bit integer prices for trit and int8, and
 * at fp32 prices for the float design.
 */
export function opModelJoules(p: OpProfile, variant: OpVariant, cacheBytes: number): OpEnergy {
  const h = HOROWITZ_PJ;
  const bytesPerWeight = variant === 'ternary' ? 0.25 : variant === 'int8' ? 1 : 4;
  const weightBytes = p.weights * bytesPerWeight;
  const weightTier = weightBytes > cacheBytes ? 'dram' : 'sram';
  const perByte = (tier: 'sram' | 'dram') => (tier === 'dram' ? h.dram64 : h.sram1MB64) / 8;
  const matrix =
    variant === 'ternary' ? p.weightAdds * h.add32 : variant === 'int8' ? p.weights * (h.mul8 + h.add32) : p.weights * (h.fmul32 + h.fadd32);
  const float = variant === 'fp32';
  const elementwise =
    p.elementwiseAdds * (float ? h.fadd32 : h.add32) + p.elementwiseMultiplies * (float ? h.fmul32 : h.mul32) + p.lookups * (h.sram8KB64 / 2);
  const weightMemory = weightBytes * perByte(weightTier);
  const otherMemory = p.otherBytes * perByte('sram');
  const b = { matrix: matrix * PJ, elementwise: elementwise * PJ, weightMemory: weightMemory * PJ, otherMemory: otherMemory * PJ };
  return { variant, joules: b.matrix + b.elementwise + b.weightMemory + b.otherMemory, weightTier, breakdown: b };
}

// ---------------------------------------------------------------------------------------------
// FPGA (iCE40 UP5K): post-route utilisation × simulated switching activity.
// ---------------------------------------------------------------------------------------------

/**
 * Constants derived from tinyvision-ai-inc/ice40_power (UP5K, core rail 1.219 V):
 *  - static: blank design 85.6 µA → 104 µW;
 *  - clock: a 32-LC counter on an external 12 MHz clock draws 613.5 µA: (613.5 − 85.6) µA × 1.219 V
 *    / 12 MHz = 53.6 pJ per cycle of clock network (and the counter);
 *  - idle cell: 32 → 228 counter LCs add 27.8 µA → 14 fJ per LC per cycle;
 *  - active cell: an 8×8 multiplier in 208 LCs draws 996 µA against 613.5 for the counter:
 *    466 µW / 12 MHz over its 176 extra LCs = 0.22 pJ per LC per cycle with its inputs changing
 *    every cycle; we use 0.2 pJ per LC per cycle scaled by the design's toggle rate;
 *  - DSP: the same multiply in one SB_MAC16 (882 µA) is 24 pJ per product; a 32×32 product uses
 *    four of them (trit_mul32), so 4 × 24 pJ per product started;
 *  - RAM: no iCE40 block-RAM energy is published; Horowitz's 8 KB SRAM (10 pJ per 64-bit access,
 *    0.16 pJ/bit) is used for every 16-bit port read each cycle (EBR and SPRAM read every cycle).
 */
export const UP5K_POWER = {
  coreVolts: 1.219,
  staticW: 85.6e-6 * 1.219,
  clockJPerCycle: 53.6 * PJ,
  idleLcJPerCycle: 0.014 * PJ,
  activeLcJPerCycle: 0.2 * PJ,
  dspProductJ: 4 * 24 * PJ,
  ramBitJ: (10 / 64) * PJ,
} as const;

export interface FpgaActivity {
  /** Clock cycles of one inference (measured in simulation). */
  cycles: number;
  /** Logic cells used after place and route. */
  logicCells: number;
  /** Toggle rate: bit toggles ÷ (traced bits × cycles) over the inference. */
  toggleRate: number;
  /** 32×32 products started during the inference. */
  products: number;
  /** Bits read from block RAM per cycle (16 per EBR used, 16 for the selected SPRAM bank). */
  ramBitsPerCycle: number;
}

export interface FpgaEnergy {
  clockHz: number;
  watts: number;
  joulesPerInference: number;
  breakdown: { static: number; clock: number; idleCells: number; activeCells: number; dsp: number; ram: number };
}

/** Average power and energy per inference running back to back at `clockHz`. */
export function fpgaModel(a: FpgaActivity, clockHz: number, k = UP5K_POWER): FpgaEnergy {
  const seconds = a.cycles / clockHz;
  const b = {
    static: k.staticW * seconds,
    clock: a.cycles * k.clockJPerCycle,
    idleCells: a.cycles * a.logicCells * k.idleLcJPerCycle,
    activeCells: a.cycles * a.logicCells * a.toggleRate * k.activeLcJPerCycle,
    dsp: a.products * k.dspProductJ,
    ram: a.cycles * a.ramBitsPerCycle * k.ramBitJ,
  };
  const joules = Object.values(b).reduce((x, y) => x + y, 0);
  return { clockHz, watts: joules / seconds, joulesPerInference: joules, breakdown: b };
}
