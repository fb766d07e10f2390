/**
 * @fileoverview Renders a benchmark result (bench/lib/types.ts) as report.md and SVG plots. Pure:
 * the same result renders to the same text, so it is unit-tested on a fixed result.
 */
import { barChart, type Bar } from './svg.js';
import { fmt, fmtJoules, fmtSummary, fmtWatts } from './stats.js';
import type { BenchResult, ModelRows, TargetRow } from './types.js';

export interface Rendered {
  markdown: string;
  /** file name → SVG text. */
  svgs: Record<string, string>;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const rowLabel = (r: TargetRow) => `${r.target} ×${r.threads}`;

function table(head: string[], rows: (string | number)[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function machineLine(r: BenchResult): string {
  const m = r.machine;
  return `${m.cpu} (${m.cpuFamilyModel}), ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, host ${m.host}, ${m.date}`;
}

/** One row of the "watts per token" table. */
export interface EnergyRow {
  label: string;
  arithmetic: string;
  rate: string;
  watts: number | null;
  joules: number | null;
  how: 'measured' | 'modelled' | 'op-count model';
  basis: string;
}

/** The "watts per token" rows for one model: every measured target, the op-count model, the FPGA. */
export function energyRows(m: ModelRows, r: BenchResult): EnergyRow[] {
  const out: EnergyRow[] = [];
  for (const t of m.rows) {
    if (t.error || !t.rate || !t.energy) continue;
    const e = t.energy;
    out.push({
      label: rowLabel(t),
      arithmetic: t.arithmetic,
      rate: fmtSummary(t.rate),
      watts: e.watts?.median ?? null,
      joules: e.joulesPerItem?.median ?? null,
      how: e.how === 'measured' ? 'measured' : 'modelled',
      basis: e.basis,
    });
  }
  for (const o of m.opModel) {
    out.push({
      label: `${o.variant} design (same shape)`,
      arithmetic: o.variant,
      rate: '–',
      watts: null,
      joules: o.joules,
      how: 'op-count model',
      basis: `Horowitz 2014 (45 nm) per operation; weights from ${o.weightTier === 'dram' ? 'DRAM' : 'on-chip SRAM'}`,
    });
  }
  const f = r.fpga.find((x) => x.model === m.model);
  if (f?.report?.cyclesPerInference) {
    for (const e of [f.atFmax, f.atBoardClock]) {
      if (!e) continue;
      out.push({
        label: `iCE40 UP5K at ${fmt(e.clockHz / 1e6)} MHz`,
        arithmetic: 'ternary',
        rate: fmt(e.clockHz / f.report.cyclesPerInference),
        watts: e.watts,
        joules: e.joulesPerInference,
        how: 'modelled',
        basis: 'post-route utilisation × simulated toggle rate × UP5K constants (ice40_power)',
      });
    }
  }
  return out;
}

/** The median rate of one target ('trit wasm', 1) on a model, or '–'. */
function rateOf(m: ModelRows, target: string, threads: number): string {
  const t = m.rows.find((x) => x.target === target && x.threads === threads);
  return t?.rate ? fmt(t.rate.median) : t?.error ? 'failed' : '–';
}

function joulesOf(m: ModelRows, target: string, threads: number): string {
  const t = m.rows.find((x) => x.target === target && x.threads === threads);
  return fmtJoules(t?.energy?.joulesPerItem?.median);
}

/** The short tables the README quotes: speed per target, then energy per item by kind. */
export function headline(r: BenchResult): string {
  const L: string[] = [];
  const cols: [string, string, number][] = [
    ['trit wasm ×1', 'trit wasm', 1],
    ['trit wasm ×2', 'trit wasm', 2],
    ['onnxruntime-node ×1', 'onnxruntime-node', 1],
    ['onnxruntime-node ×2', 'onnxruntime-node', 2],
    ['onnxruntime-web ×1', 'onnxruntime-web (wasm, in Node)', 1],
    ['PyTorch ×1', 'PyTorch reference', 1],
  ];
  L.push(
    ...table(
      ['model (batch 1)', ...cols.map((c) => c[0])],
      r.models.map((m) => [`${m.model}, ${m.item}s/s`, ...cols.map((c) => rateOf(m, c[1], c[2]))]),
    ),
    '',
  );
  L.push(
    ...table(
      [
        'model: energy per item',
        'trit wasm ×1 (CPU model)',
        'onnxruntime-node ×1 (CPU model)',
        'PyTorch fp32 ×1 (CPU model)',
        'PyTorch int8 ×1 (CPU model)',
        'op-count: ternary / int8 / fp32',
        'iCE40 UP5K at Fmax (FPGA model)',
      ],
      r.models.map((m) => {
        const op = (v: string) => fmtJoules(m.opModel.find((o) => o.variant === v)?.joules);
        const f = r.fpga.find((x) => x.model === m.model);
        return [
          `${m.model}, J/${m.item}`,
          joulesOf(m, 'trit wasm', 1),
          joulesOf(m, 'onnxruntime-node', 1),
          joulesOf(m, 'PyTorch float baseline', 1),
          joulesOf(m, 'PyTorch int8 baseline', 1),
          `${op('ternary')} / ${op('int8')} / ${op('fp32')}`,
          f?.atFmax ? `${fmtJoules(f.atFmax.joulesPerInference)} at ${fmtWatts(f.atFmax.watts)}` : '–',
        ];
      }),
    ),
    '',
  );
  return L.join('\n');
}

export function renderReport(r: BenchResult): Rendered {
  const svgs: Record<string, string> = {};
  const caption = `${r.mode === 'quick' ? 'QUICK MODE (smoke test, few repeats) — ' : ''}${machineLine(r)}`;
  const L: string[] = [];
  L.push(
    `# trit bench — ${r.machine.date.slice(0, 10)} on ${r.machine.host}${r.mode === 'quick' ? ' (quick mode: a smoke test, not for quoting)' : ''}`,
    '',
  );
  L.push(`Machine: ${machineLine(r)}.`, '');
  L.push(
    `Every figure is the median of ${r.repeats} repeat${r.repeats > 1 ? 's' : ''} (min–max in brackets), each configuration in its own process. ` +
      'Labels: **measured** (timed on this machine, or read from a meter), **modelled** (measured activity × published per-unit energy), ' +
      "**op-count model** (operation counts × per-operation energies), **reported** (other people's published numbers, not reproduced). " +
      'Method and constants: docs/benchmarks.md.',
    '',
  );
  L.push(`CPU energy: ${r.rapl.note} Per-core power: ${r.cpuPower.basis} = ${fmt(r.cpuPower.wattsPerCore)} W per busy core.`, '');
  L.push(`GPU: ${r.gpu.note}`, '');

  L.push('## Headline', '', headline(r), '');

  // Watts per token first: it is the table the issue is about.
  L.push('## Watts per token', '');
  for (const m of r.models) {
    L.push(`### ${m.model} (${m.kind === 'lm' ? 'per token' : 'per image'}; ${fmt(m.ternaryWeights)} ternary weights)`, '');
    const rows = energyRows(m, r);
    L.push(
      ...table(
        ['target', 'matrix arithmetic', `${m.item}s/s`, 'average W', `J/${m.item}`, `${m.item}s/J`, 'how', 'basis'],
        rows.map((e) => [
          e.label,
          e.arithmetic,
          e.rate,
          fmtWatts(e.watts),
          fmtJoules(e.joules),
          e.joules ? fmt(1 / e.joules) : '–',
          `**${e.how}**`,
          e.basis,
        ]),
      ),
      '',
    );
    const group = (e: EnergyRow) =>
      e.how !== 'modelled' ? e.how : e.label.startsWith('iCE40') ? 'modelled (FPGA activity)' : 'modelled (CPU-seconds × W/core)';
    const bars: Bar[] = rows.filter((e) => e.joules).map((e) => ({ label: e.label, value: e.joules!, group: group(e) }));
    if (bars.length) {
      const name = `energy-${slug(m.model)}.svg`;
      svgs[name] = barChart(bars, {
        title: `Energy per ${m.item}: ${m.model}`,
        unit: `joules per ${m.item}`,
        log: true,
        caption,
        format: (j) => fmtJoules(j, 2),
      });
      L.push(`![energy per ${m.item}, ${m.model}](${name})`, '');
    }
  }

  L.push('## Kernel throughput against the streaming roofline', '');
  L.push(
    "The production ternary×int8 kernel (runtime-wasm LUT kernel, fixed SIMD, one thread) and a v128 load+add stream over the same 2-bit bytes. Median of tinybench's samples; the range is the slowest and fastest sample, so a sample caught by a pause (GC, another process) shows as a low minimum.",
    '',
  );
  L.push(
    ...table(
      ['shape', 'kernel G weights/s', 'stream GB/s', 'roofline G weights/s (2 bits)', 'kernel / roofline'],
      r.kernels.map((k) => [
        k.shape,
        fmtSummary(k.gWeightsPerSec),
        fmtSummary(k.streamGBps),
        fmt(k.rooflineGWeightsPerSec),
        `${fmt(k.fractionOfRoofline * 100, 2)}%`,
      ]),
    ),
    '',
  );
  if (r.kernels.length) {
    svgs['kernels.svg'] = barChart(
      r.kernels.flatMap((k) => [
        {
          label: `kernel, ${k.shape.split(' (')[0]}`,
          value: k.gWeightsPerSec.median,
          min: k.gWeightsPerSec.min,
          max: k.gWeightsPerSec.max,
          group: 'ternary kernel',
        },
        { label: `roofline, ${k.shape.split(' (')[0]}`, value: k.rooflineGWeightsPerSec, group: 'streaming roofline (2 bits/weight)' },
      ]),
      { title: 'Ternary matrix-vector kernel vs streaming roofline (1 thread)', unit: 'G weights/s', caption },
    );
    L.push('![kernels](kernels.svg)', '');
  }

  L.push('## Speed, latency and memory', '');
  for (const m of r.models) {
    L.push(`### ${m.model}`, '');
    if (m.compile)
      L.push(
        `Compile (ONNX → .wasm, \`trit compile\`): ${fmt(m.compile.seconds)} s, peak RSS ${fmt(m.compile.peakRssMiB)} MiB, module ${fmt(m.compile.wasmMiB)} MiB.`,
        '',
      );
    L.push(
      ...table(
        [
          'target',
          'threads',
          `${m.item}s/s`,
          `first ${m.item} ms`,
          'peak RSS MiB',
          `CPU-s per ${m.item}`,
          ...(m.kind === 'classifier' ? ['accuracy'] : []),
          'note',
        ],
        m.rows.map((t) => [
          t.target,
          t.threads,
          t.error ? `failed: ${t.error}` : fmtSummary(t.rate),
          fmtSummary(t.firstMs),
          fmtSummary(t.peakRssMiB),
          fmtSummary(t.cpuSecondsPerItem),
          ...(m.kind === 'classifier' ? [t.accuracy !== undefined ? `${fmt(t.accuracy * 100, 4)}%` : '–'] : []),
          t.note ?? '',
        ]),
      ),
      '',
    );
    const bars = m.rows
      .filter((t) => t.rate)
      .map((t) => ({ label: rowLabel(t), value: t.rate!.median, min: t.rate!.min, max: t.rate!.max, group: t.target.split(' (')[0] }));
    if (bars.length) {
      const name = `rate-${slug(m.model)}.svg`;
      svgs[name] = barChart(bars, {
        title: `${m.kind === 'lm' ? 'Decode speed' : 'Classification speed'}: ${m.model} (batch 1)`,
        unit: `${m.item}s per second`,
        log: true,
        caption,
      });
      L.push(`![${m.item}s per second, ${m.model}](${name})`, '');
    }
  }

  L.push('## FPGA: iCE40 UP5K builds', '');
  L.push(
    ...table(
      [
        'model',
        'logic cells',
        'EBR',
        'SPRAM',
        'DSP',
        'Fmax MHz',
        `cycles per item`,
        'items/s at Fmax',
        'toggle rate',
        'W at Fmax',
        'J per item at Fmax',
        'note',
      ],
      r.fpga.map((f) =>
        f.report
          ? [
              f.model,
              `${fmt(f.report.logicCells)}/${fmt(f.report.logicCellsAvailable)}`,
              f.report.ebr,
              f.report.spram,
              f.report.dsp,
              fmt(f.report.fmaxMHz),
              fmt(f.report.cyclesPerInference),
              fmt(f.report.inferencesPerSecondAtFmax),
              f.activity ? `${fmt(f.activity.toggleRate * 100, 3)}%` : '–',
              fmtWatts(f.atFmax?.watts),
              fmtJoules(f.atFmax?.joulesPerInference),
              f.note ?? '',
            ]
          : [f.model, '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', f.note ?? 'not built'],
      ),
    ),
    '',
  );
  const withE = r.fpga.filter((f) => f.atFmax);
  if (withE.length) {
    L.push(
      'Power breakdown at Fmax (modelled): ' +
        withE
          .map(
            (f) =>
              `${f.model}: ` +
              Object.entries(f.atFmax!.breakdown)
                .map(([k, j]) => `${k} ${fmt((j / f.atFmax!.joulesPerInference) * 100, 2)}%`)
                .join(', '),
          )
          .join('; ') +
        '.',
      '',
    );
  }

  L.push('## What the MatMul-free design saves (op-count model)', '');
  L.push(
    "The same model shape priced three ways with Horowitz (ISSCC 2014, 45 nm): trit's ternary program (one add per nonzero weight, 2-bit weights), an int8 design (8-bit multiply + 32-bit add per weight, 1-byte weights) and an fp32 design (float multiply + add, 4-byte weights). A model of the arithmetic and memory traffic, not of any CPU.",
    '',
  );
  L.push(
    ...table(
      ['model', 'design', 'J per item', 'matrix', 'elementwise', 'weight memory', 'other memory', 'weights from'],
      r.models.flatMap((m) =>
        m.opModel.map((o) => [
          m.model,
          o.variant,
          fmtJoules(o.joules),
          fmtJoules(o.breakdown.matrix),
          fmtJoules(o.breakdown.elementwise),
          fmtJoules(o.breakdown.weightMemory),
          fmtJoules(o.breakdown.otherMemory),
          o.weightTier,
        ]),
      ),
    ),
    '',
  );

  L.push('## Published anchors (reported by their authors, not measured here)', '');
  L.push(
    ...table(
      ['system', 'model', 'hardware', 'tokens/s', 'W', 'J/token', 'source'],
      r.anchors.map((a) => [a.system, a.model, a.hardware, fmt(a.tokensPerSec), fmt(a.watts), fmtJoules(a.joulesPerToken), a.source]),
    ),
    '',
  );
  svgs['anchors.svg'] = barChart(
    r.anchors.filter((a) => a.joulesPerToken).map((a) => ({ label: `${a.system}, ${a.model}`, value: a.joulesPerToken!, group: 'reported' })),
    {
      title: 'Published J/token (reported, not reproduced)',
      unit: 'joules per token',
      log: true,
      caption: 'Sources: bench/suite/anchors.ts (each entry names its paper or README)',
      format: (j) => fmtJoules(j, 2),
    },
  );
  L.push('![anchors](anchors.svg)', '');

  if (r.notes.length) L.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  L.push(`Run time: ${fmt(r.seconds)} s.`);
  return { markdown: L.join('\n') + '\n', svgs };
}
