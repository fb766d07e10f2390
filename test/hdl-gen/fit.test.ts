/**
 * The UP5K fit model and the flow's error messages, without running the tools: the model of the
 * generated core follows the units a program uses, and a failed nextpnr run (the YoWASP build
 * ends one with a wasm trap, "unreachable") becomes one error that says what ran out.
 */
import { describe, expect, it } from 'vitest';
import { ICE40_CORE, ice40CoreLogic } from '../../hdl-gen/src/device.js';
import { nextpnrError, parseUtilisation, sweepSeeds, type PnrRun } from '../../hdl-gen/src/flow.js';
import { TritError } from '../../common/errors.js';
import { OPC, type Opcode } from '../../hdl-gen/src/isa.js';
import { compileForDevice } from '../../hdl-gen/src/build.js';
import { deviceByName } from '../../hdl-gen/src/device.js';
import { compileFile } from '../../compiler/node.js';
import { join } from 'node:path';

const ops = (...names: Opcode[]) => names.reduce((m, n) => m | (1 << OPC[n]), 0);

describe('the model of the generated core', () => {
  it('every unit: the full core; fewer units: fewer cells, by the measured savings', () => {
    const all = ops(
      'add',
      'sub',
      'max',
      'min',
      'shift',
      'sat',
      'mul',
      'lut',
      'recip',
      'rsqrt',
      'rsum',
      'rabsmax',
      'argmax',
      'copy',
      'gather',
      'matmul',
      'divround',
    );
    expect(ice40CoreLogic({ opsUsed: all, accW: 16, overlap: false })).toBe(ICE40_CORE.full);
    // Exact activation codes: the divider instead of the reciprocal (rsqrt stays for the norms).
    expect(ice40CoreLogic({ opsUsed: all & ~ops('recip'), accW: 16, overlap: false })).toBe(ICE40_CORE.full - ICE40_CORE.unit.recip);
    const mlp = ops('add', 'max', 'shift', 'sat', 'mul', 'recip', 'rabsmax', 'copy', 'matmul');
    const { unit } = ICE40_CORE;
    expect(ice40CoreLogic({ opsUsed: mlp, accW: 18, overlap: false })).toBe(
      ICE40_CORE.full - unit.lut - unit.rsqrt - unit.gather - unit.div + 2 * ICE40_CORE.perAccBit,
    );
    const adds = ops('add', 'copy', 'matmul');
    expect(ice40CoreLogic({ opsUsed: adds, accW: 16, overlap: false })).toBeLessThan(
      ice40CoreLogic({ opsUsed: mlp, accW: 16, overlap: false }) - 1000,
    );
  });
});

describe('nextpnr failures', () => {
  // The lines nextpnr-ice40 0.8 prints for the foreign MLP on the full (unspecialised) core.
  const overfull = [
    'Info: Device utilisation:',
    'Info: \t         ICESTORM_LC:  5472/ 5280   103%',
    'Info: \t        ICESTORM_RAM:    10/   30    33%',
    'Info: \t              SB_IO:     5/   96     5%',
    'ERROR: Failed to expand region (0, 0) |_> (25, 31) of 5472 ICESTORM_LCs',
  ];

  it('reads the utilisation table', () => {
    expect(parseUtilisation(overfull)).toMatchObject({ ICESTORM_LC: { used: 5472, available: 5280 }, SB_IO: { used: 5, available: 96 } });
  });

  it('an over-full device: what ran out, by how much, and what to do — never "unreachable"', () => {
    const e = nextpnrError(overfull, 'unreachable', 30);
    expect(e.message).toMatch(/does not fit the UP5K: it needs 5,472 logic cells of 5,280 \(103%\)/);
    expect(e.message).not.toMatch(/unreachable/);
    expect(e.hint).toMatch(/smaller model.*--device/);
  });

  it('a placement or routing failure names the step and suggests another seed or a lower --fmax-target', () => {
    const e = nextpnrError(
      ['Info: Device utilisation:', 'Info: \t ICESTORM_LC:  4000/ 5280    75%', 'ERROR: Failed to route design'],
      'unreachable',
      30,
    );
    expect(e.message).toMatch(/could not route the design: Failed to route design/);
    expect(e.hint).toMatch(/--seed.*--fmax-target than 30 MHz/);
  });
});

describe('the placement seed sweep', () => {
  // A fake nextpnr: Fmax per seed, or an error to throw.
  const fake =
    (by: Record<number, number | Error>, calls: number[]) =>
    async (seed: number): Promise<PnrRun> => {
      calls.push(seed);
      const f = by[seed];
      if (f instanceof Error) throw f;
      return { seed, fmaxMHz: f, rep: { fmax: {}, utilization: {} }, asc: '', log: [] };
    };

  it('stops at the first seed that reaches the floor; below it, places again and keeps the fastest', async () => {
    let calls: number[] = [];
    const notes: string[] = [];
    let r = await sweepSeeds(1, 3, 24, fake({ 1: 25.1, 2: 30 }, calls));
    expect(calls).toEqual([1]);
    expect(r.best.seed).toBe(1);
    calls = [];
    r = await sweepSeeds(1, 3, 24, fake({ 1: 23.95, 2: 23.5, 3: 23.8 }, calls), (l) => notes.push(l));
    expect(calls).toEqual([1, 2, 3]);
    expect(r.best.seed).toBe(1);
    expect(r.tried.map((t) => t.fmaxMHz)).toEqual([23.95, 23.5, 23.8]);
    expect(notes[0]).toMatch(/seed 1 routes at 23.95 MHz, below the 24 MHz floor; placing again with seed 2/);
    expect(notes.at(-1)).toMatch(/kept seed 1: 23.95 MHz/);
    calls = [];
    r = await sweepSeeds(5, 3, 24, fake({ 5: 23.9, 6: 24.4 }, calls));
    expect(calls).toEqual([5, 6]);
    expect(r.best.seed).toBe(6);
  });

  it('a design that does not fit ends the sweep at once; a routing failure moves on; all failing rethrows', async () => {
    const calls: number[] = [];
    const full = new TritError('the design does not fit the UP5K: it needs 5,472 logic cells of 5,280 (103%)');
    await expect(sweepSeeds(1, 3, 24, fake({ 1: full }, calls))).rejects.toThrow(/does not fit/);
    expect(calls).toEqual([1]);
    const route = new TritError('nextpnr-ice40 could not route the design: Failed to route design');
    const r = await sweepSeeds(1, 3, 24, fake({ 1: route, 2: 24.2 }, []));
    expect(r.best.seed).toBe(2);
    await expect(sweepSeeds(1, 2, 24, fake({ 1: route, 2: route }, []))).rejects.toThrow(/could not route/);
  });
});

describe('exact activation codes where the part holds them', () => {
  it('columns-mnist-up5k: the divider on an xc7a35t; on the UP5K (43 EBR of 30) the reciprocal, and the log says why', () => {
    const model = join(import.meta.dirname, '../../models/zoo/columns-mnist-up5k/model.onnx');
    const divs = (d: string, log: string[]) =>
      compileForDevice(
        (lower) => compileFile(model, undefined, lower, 'fpga'),
        deviceByName(d),
        (l) => log.push(l),
      ).ir.nodes.filter((n) => n.op === 'divround').length;
    const xlog: string[] = [],
      ulog: string[] = [];
    expect(divs('xc7a35t', xlog)).toBe(10); // one per BitLinear
    expect(xlog).toEqual([]);
    expect(divs('up5k', ulog)).toBe(0);
    expect(ulog.join('\n')).toMatch(/activation codes through the reciprocal unit: the exact form does not fit the up5k: .*43 EBR/);
  });
});
