/**
 * The benchmark harness's own logic on fixed inputs: statistics, units, the energy models'
 * arithmetic, the VCD toggle counter, the SVG charts and the report. No timing is asserted.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cpuModelJoules,
  cpuPowerFor,
  fpgaModel,
  GENERIC_WATTS_PER_CORE,
  HOROWITZ_PJ,
  opModelJoules,
  raplDomains,
  raplJoules,
  raplRead,
  UP5K_POWER,
  type OpProfile,
} from '../../bench/lib/energy.js';
import { fmt, fmtJoules, fmtSummary, fmtWatts, quantile, summarize } from '../../bench/lib/stats.js';
import { barChart, escapeXml, ticks, wrap } from '../../bench/lib/svg.js';
import { differingBits, VcdCounter } from '../../bench/lib/vcd.js';
import { energyRows, renderReport } from '../../bench/lib/report.js';
import type { BenchResult } from '../../bench/lib/types.js';
import { graphStats } from '../../compiler/ir/stats.js';

describe('statistics and units', () => {
  it('summarises repeats by median, min and max, dropping failed (non-finite) repeats', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(summarize([5, NaN, Infinity])).toEqual({ median: 5, min: 5, max: 5, n: 1 });
    expect(summarize([])).toBeNull();
    expect(quantile([5, 1, 4, 2, 3], 0.9)).toBe(5);
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
  });
  it('formats numbers, energies and powers with readable units', () => {
    expect(fmt(1234.6)).toBe('1,235');
    expect(fmt(0.012345)).toBe('0.0123');
    expect(fmt(null)).toBe('–');
    expect(fmtJoules(2.2e-3)).toBe('2.2 mJ');
    expect(fmtJoules(5.06e-7)).toBe('506 nJ');
    expect(fmtJoules(1.5)).toBe('1.5 J');
    expect(fmtWatts(0.00498)).toBe('4.98 mW');
    expect(fmtWatts(104e-6)).toBe('104 µW');
    expect(fmtSummary({ median: 10, min: 9, max: 12, n: 3 })).toBe('10 (9–12)');
    expect(fmtSummary({ median: 10, min: 10, max: 10, n: 3 })).toBe('10');
  });
});

describe('energy models', () => {
  const cpuinfo = (vendor: string, family: number, model: number) =>
    `processor\t: 0\nvendor_id\t: ${vendor}\ncpu family\t: ${family}\nmodel\t\t: ${model}\nmodel name\t: x\n`;
  it('picks the per-core power of the detected CPU generation, a generic figure otherwise, or the override', () => {
    const p = cpuPowerFor(cpuinfo('GenuineIntel', 6, 207));
    expect(p.wattsPerCore).toBeCloseTo(350 / 60, 10);
    expect(p.basis).toMatch(/Emerald Rapids.*350 W \/ 60 cores/);
    const q = cpuPowerFor(cpuinfo('GenuineIntel', 6, 999));
    expect(q.wattsPerCore).toBe(GENERIC_WATTS_PER_CORE);
    expect(q.basis).toMatch(/unrecognised CPU/);
    expect(cpuPowerFor('', 9).wattsPerCore).toBe(9);
    expect(cpuModelJoules(2.5, { basis: '', wattsPerCore: 4 })).toBe(10);
  });

  it('reads RAPL package counters and handles a wrapped counter', () => {
    const root = mkdtempSync(join(tmpdir(), 'trit-rapl-'));
    const dom = (d: string, name: string, uj: number, max: number) => {
      mkdirSync(join(root, d));
      writeFileSync(join(root, d, 'name'), name + '\n');
      writeFileSync(join(root, d, 'energy_uj'), `${uj}\n`);
      writeFileSync(join(root, d, 'max_energy_range_uj'), `${max}\n`);
    };
    dom('intel-rapl:0', 'package-0', 900, 1000);
    dom('intel-rapl:0:0', 'core', 5, 1000); // a sub-domain: overlaps the package, not counted
    const d = raplDomains(root);
    expect(d.map((x) => x.name)).toEqual(['package-0']);
    const before = raplRead(d);
    writeFileSync(join(root, 'intel-rapl:0', 'energy_uj'), '100\n'); // wrapped past 1000
    expect(raplJoules(d, before, raplRead(d))).toBeCloseTo(200e-6, 12);
    expect(raplDomains(join(root, 'absent'))).toEqual([]);
  });

  it('prices one inference with Horowitz per-operation energies (op-count model)', () => {
    const p: OpProfile = { weights: 1000, weightAdds: 600, elementwiseAdds: 10, elementwiseMultiplies: 2, lookups: 4, otherBytes: 80 };
    const pj = 1e-12,
      h = HOROWITZ_PJ;
    const t = opModelJoules(p, 'ternary', 1 << 20);
    expect(t.weightTier).toBe('sram');
    expect(t.breakdown.matrix).toBeCloseTo(600 * 0.1 * pj, 20);
    expect(t.breakdown.elementwise).toBeCloseTo((10 * 0.1 + 2 * 3.1 + 4 * 5) * pj, 20);
    expect(t.breakdown.weightMemory).toBeCloseTo(250 * (100 / 8) * pj, 20);
    expect(t.breakdown.otherMemory).toBeCloseTo(80 * (100 / 8) * pj, 20);
    expect(t.joules).toBeCloseTo(t.breakdown.matrix + t.breakdown.elementwise + t.breakdown.weightMemory + t.breakdown.otherMemory, 20);
    const i8 = opModelJoules(p, 'int8', 1 << 20);
    expect(i8.breakdown.matrix).toBeCloseTo(1000 * (h.mul8 + h.add32) * pj, 20);
    expect(i8.breakdown.weightMemory).toBeCloseTo(1000 * (100 / 8) * pj, 20);
    // 4,000 bytes of fp32 weights exceed a 1 KiB "cache": priced from DRAM.
    const f = opModelJoules(p, 'fp32', 1024);
    expect(f.weightTier).toBe('dram');
    expect(f.breakdown.matrix).toBeCloseTo(1000 * (3.7 + 0.9) * pj, 20);
    expect(f.breakdown.elementwise).toBeCloseTo((10 * 0.9 + 2 * 3.7 + 4 * 5) * pj, 20);
    expect(f.breakdown.weightMemory).toBeCloseTo(4000 * (1300 / 8) * pj, 20);
    expect(t.joules).toBeLessThan(i8.joules);
    expect(i8.joules).toBeLessThan(f.joules);
  });

  it('models UP5K power from cycles, cells, toggle rate, products and RAM reads', () => {
    const a = { cycles: 1_000_000, logicCells: 5000, toggleRate: 0.01, products: 20_000, ramBitsPerCycle: 480 };
    const e = fpgaModel(a, 24e6);
    const k = UP5K_POWER;
    const expected =
      k.staticW * (1e6 / 24e6) +
      1e6 * k.clockJPerCycle +
      1e6 * 5000 * k.idleLcJPerCycle +
      1e6 * 5000 * 0.01 * k.activeLcJPerCycle +
      20_000 * k.dspProductJ +
      1e6 * 480 * k.ramBitJ;
    expect(e.joulesPerInference).toBeCloseTo(expected, 15);
    expect(e.watts).toBeCloseTo(expected / (1e6 / 24e6), 12);
    // Halving the clock keeps the dynamic energy and doubles the static part.
    const slow = fpgaModel(a, 12e6);
    expect(slow.breakdown.static).toBeCloseTo(2 * e.breakdown.static, 15);
    expect(slow.breakdown.clock).toBe(e.breakdown.clock);
    // The constants follow from the ice40_power measurements as energy.ts derives them.
    expect(k.clockJPerCycle).toBeCloseTo(((613.5 - 85.6) * 1e-6 * 1.219) / 12e6, 13);
    expect(k.activeLcJPerCycle).toBeCloseTo(((996 - 613.5) * 1e-6 * 1.219) / 12e6 / 176, 13);
    expect(k.staticW).toBeCloseTo(85.6e-6 * 1.219, 15); // 104.3 µW
  });
});

describe('IR statistics the op-count model reads', () => {
  it('splits the matrix adds from the rest and counts a gathered embedding by the row read', async () => {
    const { compileFile } = await import('../../compiler/node.js');
    const dir = join(import.meta.dirname, '../../models/zoo/random-mmfree-tiny');
    const ir = compileFile(join(dir, 'model.onnx'), join(dir, 'golden.safetensors')).ir;
    const s = graphStats(ir);
    // Batch 1: every nonzero ternary weight is one add or subtract per step.
    let nonzero = 0;
    for (const c of ir.consts.values()) if (c.ternary) for (const v of c.data) if (v !== 0) nonzero++;
    expect(s.weightAdds).toBe(nonzero);
    expect(s.adds + s.subs).toBeGreaterThan(s.weightAdds);
    // One embedding table [V, D] of i32, of which one row is read per step.
    const gathers = ir.nodes.filter((n) => n.op === 'gather');
    expect(gathers).toHaveLength(1);
    const [V, D] = ir.consts.get(gathers[0].inputs[0])!.type.shape;
    expect(V).toBeGreaterThan(1);
    expect(s.constBytes - s.constBytesRead).toBe((V - 1) * D * 4);
  });
});

describe('VCD toggle counter', () => {
  const vcd = [
    '$timescale 1ps $end',
    '$scope module TOP $end',
    '$var wire 1 ! clk_i $end',
    '$scope module trit_top $end',
    '$var wire 1 ! clk_i $end',
    '$scope module u_core $end',
    '$var wire 1 " counting_q $end',
    '$var wire 4 # bus [3:0] $end',
    '$var wire 1 $ mul_start_q $end',
    '$var wire 4 # bus_alias [3:0] $end',
    '$upscope $end',
    '$var wire 8 % outside [7:0] $end',
    '$upscope $end',
    '$upscope $end',
    '$enddefinitions $end',
    '#0',
    '$dumpvars',
    '0!',
    '0"',
    'b0 #',
    '0$',
    'b0 %',
    '$end',
    '#1',
    '1!',
    'b1111 #',
    'b11111111 %', // window closed: not counted
    '#2',
    '0!',
    '1"',
    '#3',
    '1!',
    'b1 #',
    '1$', // counted cycle 1: bus 1111→0001 (3 bits), start toggles 1, strobe high
    '#4',
    '0!',
    '0$', // start toggles 1
    '#5',
    '1!',
    'b10 #', // cycle 2: 0001→0010 (2 bits)
    '#6',
    '0!',
    'b11 %', // outside the scope: not counted
    '#7',
    '1!',
    '0"', // window closes at this timestamp's end; cycle 3 still counted (open before)
    '#8',
    '0!',
    '#9',
    '1!',
    'b0 #', // closed
    '',
  ].join('\n');

  it('counts cycles, in-scope toggles and strobes within the window, in any chunking', () => {
    for (const size of [vcd.length, 7, 1]) {
      const c = new VcdCounter({
        clock: 'trit_top.clk_i',
        window: 'u_core.counting_q',
        scope: '.u_core.',
        strobes: { products: 'u_core.mul_start_q' },
      });
      for (let i = 0; i < vcd.length; i += size) c.push(vcd.slice(i, i + size));
      const a = c.end();
      expect(a.cycles).toBe(3);
      // bus 3 + 2, start 1 + 1, counting_q 1 (falls at #7 while open)
      expect(a.toggles).toBe(8);
      expect(a.bits).toBe(1 + 4 + 1); // counting_q, bus (aliased once), mul_start_q
      expect(a.strobes.products).toBe(1);
      expect(a.signals.declared).toBe(7);
      expect(a.toggleRate).toBeCloseTo(8 / (6 * 3), 12);
    }
  });

  it('compares vectors bit by bit after VCD left-extension', () => {
    expect(differingBits('1', '0001', 4)).toBe(0);
    expect(differingBits('x', 'xxxx', 4)).toBe(0);
    expect(differingBits('10', '1111', 4)).toBe(3);
    expect(differingBits('0', 'x', 1)).toBe(1);
  });

  it('says which signal is missing', () => {
    const c = new VcdCounter({ clock: 'nope.clk' });
    c.push('$enddefinitions $end\n#0\n');
    expect(() => c.end()).toThrow(/no clock signal ending in 'nope.clk'/);
  });
});

describe('SVG charts', () => {
  it('draws one bar per entry with whiskers, escapes text and wraps the caption', () => {
    const svg = barChart(
      [
        { label: 'a <b> & c', value: 10, min: 8, max: 12, group: 'g1' },
        { label: 'second', value: 1000, group: 'g2' },
        { label: 'zero on log', value: 0, group: 'g2' },
      ],
      { title: 'T "q"', unit: 'things/s', log: true, caption: 'word '.repeat(60) },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expect(svg).toContain('T &quot;q&quot;');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect((svg.match(/<path /g) ?? []).length).toBe(1); // one whisker
    expect((svg.match(/fill="none" stroke="#999999"/g) ?? []).length).toBe(1); // the unplottable bar
    expect(escapeXml('<&>"')).toBe('&lt;&amp;&gt;&quot;');
    expect(wrap('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
  });
  it('places ticks at powers of ten on a log axis and at 1/2/5 steps on a linear one', () => {
    expect(ticks(1e-3, 10, true)).toEqual([1e-3, 1e-2, 1e-1, 1, 10]);
    expect(ticks(0, 100, false)).toEqual([0, 20, 40, 60, 80, 100]);
  });
});

describe('report', () => {
  const s = (x: number) => ({ median: x, min: x * 0.9, max: x * 1.1, n: 3 });
  const result: BenchResult = {
    schema: 1,
    mode: 'full',
    repeats: 3,
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGiB: 8,
      os: 'linux x64',
      node: 'v20',
      v8: '11',
      host: 'h',
      date: '2026-01-02T03:04:05.000Z',
      cpuFamilyModel: 'GenuineIntel family 6 model 207',
    },
    cpuPower: { basis: 'test basis', wattsPerCore: 5 },
    rapl: { available: false, note: 'RAPL is not readable.' },
    gpu: { available: false, note: 'no GPU.' },
    kernels: [{ shape: 'in cache (x)', gWeightsPerSec: s(20), streamGBps: s(50), rooflineGWeightsPerSec: 200, fractionOfRoofline: 0.1 }],
    models: [
      {
        model: 'lm-a',
        kind: 'lm',
        item: 'token',
        ternaryWeights: 1000,
        compile: { seconds: 1.5, peakRssMiB: 100, wasmMiB: 0.5 },
        ops: { weights: 1000, weightAdds: 600, elementwiseAdds: 10, elementwiseMultiplies: 2, lookups: 4, otherBytes: 80 },
        opModel: [
          opModelJoules(
            { weights: 1000, weightAdds: 600, elementwiseAdds: 10, elementwiseMultiplies: 2, lookups: 4, otherBytes: 80 },
            'ternary',
            1 << 20,
          ),
        ],
        rows: [
          {
            target: 'trit wasm',
            threads: 1,
            arithmetic: 'ternary',
            repeats: 3,
            rate: s(1000),
            firstMs: s(2),
            peakRssMiB: s(50),
            cpuSecondsPerItem: s(1e-3),
            energy: { how: 'modelled', basis: 'CPU-seconds × 5 W per core', joulesPerItem: s(5e-3), watts: s(5) },
          },
          {
            target: 'onnxruntime-web (wasm, in Node)',
            threads: 2,
            arithmetic: 'ternary',
            repeats: 0,
            rate: null,
            firstMs: null,
            peakRssMiB: null,
            cpuSecondsPerItem: null,
            energy: null,
            error: 'std::bad_alloc',
          },
        ],
      },
    ],
    fpga: [
      {
        model: 'lm-a',
        item: 'token',
        report: {
          logicCells: 5000,
          logicCellsAvailable: 5280,
          ebr: 29,
          spram: 4,
          dsp: 4,
          fmaxMHz: 24,
          boardClockMHz: 12,
          cyclesPerInference: 240000,
          inferencesPerSecondAtFmax: 100,
        },
        activity: { toggleRate: 0.01, products: 100, cycles: 240000, bits: 4000, vcdBytes: 1 },
        atFmax: fpgaModel({ cycles: 240000, logicCells: 5000, toggleRate: 0.01, products: 100, ramBitsPerCycle: 480 }, 24e6),
        atBoardClock: fpgaModel({ cycles: 240000, logicCells: 5000, toggleRate: 0.01, products: 100, ramBitsPerCycle: 480 }, 12e6),
      },
    ],
    anchors: [{ system: 'Peer', model: 'M', hardware: 'H', tokensPerSec: 10, watts: 5, joulesPerToken: 0.5, source: 'paper' }],
    seconds: 60,
    notes: ['a note'],
  };

  it('renders the watts-per-token table with every row labelled by how it was obtained', () => {
    const rows = energyRows(result.models[0], result);
    expect(rows.map((r) => [r.label, r.how])).toEqual([
      ['trit wasm ×1', 'modelled'],
      ['ternary design (same shape)', 'op-count model'],
      ['iCE40 UP5K at 24 MHz', 'modelled'],
      ['iCE40 UP5K at 12 MHz', 'modelled'],
    ]);
    expect(rows[2].rate).toBe('100'); // 24 MHz / 240,000 cycles
    const r = renderReport(result);
    expect(r.markdown).toContain('## Watts per token');
    expect(r.markdown).toContain('| trit wasm ×1 | ternary | 1,000 (900–1,100) | 5 W | 5 mJ | 200 | **modelled** | CPU-seconds × 5 W per core |');
    expect(r.markdown).toContain('failed: std::bad_alloc');
    expect(r.markdown).toContain('## Published anchors (reported by their authors, not measured here)');
    expect(r.markdown).toContain('| Peer | M | H | 10 | 5 | 500 mJ | paper |');
    expect(r.markdown).toContain('5,000/5,280');
    // Every plot the markdown links exists, and renders twice the same.
    for (const m of r.markdown.matchAll(/\]\(([^)]+\.svg)\)/g)) expect(Object.keys(r.svgs)).toContain(m[1]);
    expect(renderReport(result)).toEqual(r);
  });
});
