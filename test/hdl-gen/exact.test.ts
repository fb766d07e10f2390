/**
 * The Verilog back-end equals the interpreter bit for bit: every node's value at every step on
 * random IR programs (Icarus), the zoo models' golden inputs, 1,000 MNIST test images through the
 * UP5K classifier (Verilator), and a MatMul-free LM that generates exactly the wasm runtime's tokens.
 * Unit tests per hardware module (the multiplier, the UART) run in Icarus; every library module
 * is lint-clean under `verilator --lint-only -Wall`.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '../../compiler/ir/validate.js';
import { parseGraph } from '../../compiler/ir/text.js';
import { divRound } from '../../compiler/ir/arith.js';
import { analyzeRanges } from '../../compiler/ir/range.js';
import { compileOnnx } from '../../compiler/compile.js';
import { readGolden } from '../../compiler/verify.js';
import { Interpreter } from '../../compiler/interp/interp.js';
import { readMnistTest } from '../../compiler/formats/idx.js';
import { TritError } from '../../common/errors.js';
import { rng } from '../../common/rng.js';
import { randomIR } from '../../fixtures/random-ir.js';
import { compareHdl, mnistInSimulation } from '../../fixtures/hdl-harness.js';
import { MNIST_DIR } from '../../fixtures/mnist.js';
import { buildProgram } from '../../hdl-gen/src/program.js';
import { HdlSim } from '../../hdl-gen/src/sim.js';
import { compileForDevice } from '../../hdl-gen/src/build.js';
import { deviceByName } from '../../hdl-gen/src/device.js';
import { designFiles, HDL_ROOT, libraryFiles } from '../../hdl-gen/src/emit.js';
import { linkWasm } from '../../compiler/backends/wasm/link.js';
import { TritSession } from '../../runtime-wasm/host/session.js';
import { sample } from '../../runtime-wasm/host/sampling.js';
import { charTokenizer } from '../../runtime-wasm/host/tokenizer.js';

const ROOT = join(import.meta.dirname, '../..');
const zoo = (name: string) => join(ROOT, 'models/zoo', name);
const compileZoo = (name: string, calibrate = true, device = 'up5k') => {
  const file = join(zoo(name), 'model.onnx');
  const golden = readGolden(new Uint8Array(readFileSync(join(zoo(name), 'golden.safetensors'))));
  const calibration = calibrate
    ? [
        Array.from({ length: golden.steps }, (_, s) =>
          Object.fromEntries(
            [...golden.inputs].map(([k, t]) => {
              const n = t.data.length / golden.steps;
              return [k, t.data.subarray(s * n, (s + 1) * n)];
            }),
          ),
        ),
      ]
    : undefined;
  // As `trit compile --target verilog --device <device>` lowers it (exact codes where the part holds them).
  const bytes = new Uint8Array(readFileSync(file));
  const c = compileForDevice((lower) => compileOnnx(bytes, { file, calibration, target: 'fpga', lower }), deviceByName(device));
  return { c, golden };
};
const goldenSteps = (golden: ReturnType<typeof readGolden>, count: number) => {
  const steps: (Record<string, Float64Array> | 'reset')[] = [];
  for (let s = 0; s < Math.min(count, golden.steps); s++) {
    if (golden.reset[s] && s > 0) steps.push('reset');
    steps.push(
      Object.fromEntries(
        [...golden.inputs].map(([k, t]) => {
          const n = t.data.length / golden.steps;
          return [k, Float64Array.from(t.data.subarray(s * n, (s + 1) * n))];
        }),
      ),
    );
  }
  return steps;
};

describe('hardware modules', () => {
  it('every library module is clean under verilator --lint-only -Wall, for two programs', () => {
    for (const seed of [1, 2]) {
      const p = buildProgram(randomIR(seed).ir);
      const dir = mkdtempSync(join(tmpdir(), 'trit-lint-'));
      try {
        const files = designFiles(p, 'ram');
        for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
        const v = Object.keys(files).filter((f) => f.endsWith('.v'));
        const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'trit_top', ...v], { cwd: dir, encoding: 'utf8' });
        expect(r.stderr, r.stderr).toBe('');
        expect(r.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const uart = Object.entries(libraryFiles('ram', true))
      .filter(([f]) => f.startsWith('trit_uart'))
      .map(([f]) => join(HDL_ROOT, 'rtl', f));
    const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'trit_uart_bridge', ...uart], { encoding: 'utf8' });
    expect(r.stderr, r.stderr).toBe('');
  });

  it('the core is lint-clean for other lane counts too (Lanes is a parameter, not a constant)', () => {
    const units = Object.keys(libraryFiles('ram')).filter((f) => f.endsWith('.v') && f !== 'trit_dmem.v');
    expect(units).toEqual(
      expect.arrayContaining(['trit_core.v', 'trit_host.v', 'trit_alu.v', 'trit_rounder.v', 'trit_matmul.v', 'trit_newton.v', 'trit_divider.v']),
    );
    for (const lanes of [8, 4, 2]) {
      const r = spawnSync(
        'verilator',
        ['--lint-only', '-Wall', '--top-module', 'trit_core', `-GLanes=${lanes}`, '-GProgramLen=512', '-GProgramFile="/dev/null"', ...units],
        { cwd: join(HDL_ROOT, 'rtl'), encoding: 'utf8' },
      );
      expect(r.stderr, `Lanes=${lanes}: ${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('trit_mul32: 2,000 signed products (edges and random) equal BigInt, in Icarus', () => {
    const r = rng(5);
    const vals: [bigint, bigint][] = [];
    const edge = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, -(2n ** 32n - 1n), 3n * 2n ** 30n, 65535n, -65536n];
    // The contract: |a|, |b| < 2^32 and |a·b| < 2^63 (every product the core forms satisfies it).
    const ok = (a: bigint, b: bigint) => (a * b < 0n ? -(a * b) : a * b) < 2n ** 63n;
    for (const a of edge) for (const b of edge) if (ok(a, b)) vals.push([a, b]);
    while (vals.length < 2000) {
      const big = (bits: number) => BigInt(Math.floor(r() * 2 ** Math.min(bits, 30))) * (bits > 30 ? BigInt(Math.floor(r() * 2 ** (bits - 30))) : 1n);
      const sgn = () => (r() < 0.5 ? -1n : 1n);
      const x = sgn() * big(1 + Math.floor(r() * 32)),
        y = sgn() * big(1 + Math.floor(r() * 32));
      if (ok(x, y)) vals.push([x, y]);
    }
    const dir = mkdtempSync(join(tmpdir(), 'trit-mul-'));
    try {
      const hex33 = (v: bigint) => BigInt.asUintN(33, v).toString(16);
      writeFileSync(join(dir, 'vec.hex'), vals.map(([a, b]) => `${hex33(a)} ${hex33(b)}`).join('\n') + '\n');
      const c = spawnSync(
        'iverilog',
        ['-g2005', '-o', 'tb.vvp', join(HDL_ROOT, 'sim', 'tb_mul32.v'), join(HDL_ROOT, 'rtl', 'trit_mul32.v'), join(HDL_ROOT, 'rtl', 'trit_mul16.v')],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(c.status, c.stderr).toBe(0);
      const run = spawnSync('vvp', ['-n', 'tb.vvp', `+n=${vals.length}`], { cwd: dir, encoding: 'utf8' });
      const got = run.stdout
        .trim()
        .split('\n')
        .filter((l) => /^[0-9a-f]{16}$/.test(l));
      expect(got.length).toBe(vals.length);
      let bad = 0;
      vals.forEach(([a, b], i) => {
        if (BigInt.asIntN(64, BigInt('0x' + got[i])) !== a * b) bad++;
      });
      expect(bad).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('UART bridge: words survive host → rx → core stream → tx → host, in Icarus', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-uart-'));
    try {
      const uart = Object.keys(libraryFiles('ram', true))
        .filter((f) => f.startsWith('trit_uart'))
        .map((f) => join(HDL_ROOT, 'rtl', f));
      const c = spawnSync('iverilog', ['-g2005', '-o', 'tb.vvp', join(HDL_ROOT, 'sim', 'tb_uart.v'), ...uart], { cwd: dir, encoding: 'utf8' });
      expect(c.status, c.stderr).toBe(0);
      const run = spawnSync('vvp', ['-n', 'tb.vvp'], { cwd: dir, encoding: 'utf8' });
      const lines = run.stdout.trim().split('\n');
      expect(lines.at(-1)).toBe('PASS 16 words');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the core's divider (divround): Verilog = interpreter = round_half_even(a·k/b), clamped", () => {
  it('ties, signs, b ≤ 0, quotients past the clamp, i8 and i16 codes (Icarus)', async () => {
    const R = 48,
      K = 24,
      r = rng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    // Per row a divisor (tiny, large, ≤ 0); per element a dividend at a tie of a code, small,
    // or anything up to ±2^24 (float inputs hold integers exactly there).
    const step = () => {
      // b = 254·t makes a = (2c+1)·t an exact tie: 2·a·127 = (2c+1)·b.
      const bf = Array.from({ length: R }, () => [int(1, 9), int(1, 2 ** 24), int(-3, 0), 2 ** 24, 254 * int(1, 5000)][int(0, 4)]);
      const af = Array.from({ length: R * K }, (_, i) => {
        const b = Math.max(1, bf[Math.floor(i / K)]);
        const tie = b % 254 === 0 ? (2 * int(-140, 140) + 1) * (b / 254) : Math.round(((int(-140, 140) + 0.5) * b) / 127);
        const c = [tie, tie, int(-300, 300), int(-(2 ** 24), 2 ** 24)][int(0, 3)];
        return Math.max(-(2 ** 24), Math.min(2 ** 24, c));
      });
      return { af, bf };
    };
    const g = parseGraph(
      `trit-ir 1\ngraph "div"\ninput %af : f32[${R},${K}]\ninput %bf : f32[${R},1]\n` +
        `%a = quantize %af {round=half_even} : i32[${R},${K}]\n%b = quantize %bf {round=half_even} : i32[${R},1]\n` +
        `%q8 = divround %a, %b {mul=127, round=half_even, sat} : i8[${R},${K}]\n` +
        `%q16 = divround %a, %b {mul=3, round=half_even, sat} : i16[${R},${K}]\n` +
        `output q8 = %q8\noutput q16 = %q16`,
    );
    validate(g);
    analyzeRanges(g);
    const feeds = [step(), step()];
    const res = await compareHdl(g, feeds, { probes: false });
    expect(res.mismatches).toEqual([]);
    expect(res.values).toBe(2 * 2 * R * K);
    // The interpreter is the definition: ties were hit, and the clamps were reached both ways.
    const out = new Interpreter(g).run(feeds[0]).outputs;
    let ties = 0;
    for (let i = 0; i < R * K; i++) {
      const a = feeds[0].af[i],
        b = feeds[0].bf[Math.floor(i / K)];
      expect(out.q8[i]).toBe(Math.max(-127, Math.min(127, divRound(a, 127, b, 'half_even'))));
      if (b > 0 && Math.abs((2 * a * 127) % (2 * b)) === b) ties++;
    }
    expect(ties).toBeGreaterThan(50);
    expect(Array.from(out.q8)).toContain(127);
    expect(Array.from(out.q8)).toContain(-127);
    expect(Array.from(out.q16)).toContain(32767);
  }, 300_000);

  it('a divround the core cannot clamp (into i32) is refused with a message naming the node', () => {
    const g = parseGraph(
      'trit-ir 1\ngraph "d"\ninput %a : i32[2,4]\ninput %b : i32[2,1]\n%q = divround %a, %b {mul=127, round=half_even, sat} : i32[2,4]\noutput q = %q',
    );
    expect(() => buildProgram(g)).toThrow(/node 'q'.*divround into i32 without an int8\/int16 clamp/s);
  });
});

describe('random IR programs: Verilog = interpreter on every node value', () => {
  it('24 programs × 4 steps with a reset, with and without operand prefetch (Icarus)', async () => {
    let values = 0,
      programs = 0,
      refused = 0;
    for (let seed = 1; programs < 24; seed++) {
      const p = randomIR(seed);
      try {
        validate(p.ir);
        analyzeRanges(p.ir);
      } catch (e) {
        if (e instanceof TritError) continue;
        throw e;
      }
      try {
        buildProgram(p.ir);
      } catch (e) {
        // The core's one documented limit: lut steps wider than 2^31 (docs/verilog.md).
        expect((e as Error).message).toMatch(/lut step/);
        refused++;
        continue;
      }
      // Every other program on the core without operand prefetch (what a nearly full part gets).
      const r = await compareHdl(p.ir, [p.feeds(), p.feeds(), 'reset', p.feeds()], { overlap: programs % 2 === 0 });
      expect(r.mismatches, `seed ${seed}`).toEqual([]);
      values += r.values;
      programs++;
    }
    expect(values).toBeGreaterThan(20000);
    expect(refused).toBeLessThan(8);
  });
});

describe('zoo models: Verilog = interpreter bit for bit', () => {
  // Lowered for a part with room (an xc7a35t): exact activation codes, so the divider runs
  // (on the UP5K the LM-sized core has no room for it and the zoo models below use the reciprocal).
  it('random-mmfree-tiny, exact codes (divround): 24 golden steps, every node (Verilator)', async () => {
    const { c, golden } = compileZoo('random-mmfree-tiny', true, 'xc7a35t');
    expect(c.ir.nodes.filter((n) => n.op === 'divround').length).toBeGreaterThan(0);
    const r = await compareHdl(c.ir, goldenSteps(golden, 24), { simulator: 'verilator' });
    expect(r.mismatches).toEqual([]);
    expect(r.values).toBeGreaterThan(50000);
  });

  // The shipped classifier and a foreign one (an MLP written and exported as users do:
  // models/train_mlp.py), each on the core specialised to its program.
  it.each(['columns-mnist-up5k', 'mlp-mnist-up5k'])('%s: 1,000 MNIST test images, logits exact, accuracy equal (Verilator)', async (name) => {
    const { c } = compileZoo(name);
    const { images, labels } = readMnistTest(MNIST_DIR, 1000);
    const r = await mnistInSimulation(c.ir, images, labels);
    expect(r.exact).toBe(1000);
    expect(r.hwRight).toBe(r.swRight);
    expect(r.hwRight / 1000).toBeGreaterThan(0.95);
    console.log(
      `${name} in simulation: ${r.hwRight / 10}% on 1,000 images (interpreter ${r.swRight / 10}%), ${r.cycles.min}–${r.cycles.max} cycles per image`,
    );
  });

  it("the trained UP5K LM generates exactly the wasm runtime's text (same prompt, seed, sampling)", async () => {
    const name = 'mmfree-up5k-char';
    const { c } = compileZoo(name);
    const vocab = JSON.parse(readFileSync(join(zoo(name), 'vocab.json'), 'utf8')) as string[];
    const opts = { maxTokens: 40, seed: 7, temperature: 0.8, topK: 0 };
    // wasm
    const session = await TritSession.create(linkWasm(c.ir, { vocab }).bytes);
    const wasm = session.generateSync('ROMEO:', opts);
    session.close();
    // Verilog: the same loop as TritSession.generate, with the simulated design computing logits.
    const tk = charTokenizer(vocab);
    const p = buildProgram(c.ir);
    const dir = mkdtempSync(join(tmpdir(), 'trit-lm-'));
    const sim = await HdlSim.start(p, dir, 'verilator');
    const tokens: number[] = [];
    let cyc = 0;
    try {
      const rand = rng(opts.seed);
      const step = async (id: number) => {
        const r = await sim.run({ [p.inputs[0].name]: [id] });
        cyc = r.cycles;
        return r.outputs.logits;
      };
      let logits = new Float64Array(0);
      for (const id of tk.encode('ROMEO:')) logits = await step(id);
      for (let i = 0; i < opts.maxTokens; i++) {
        const id = sample(logits, opts, rand);
        tokens.push(id);
        if (i + 1 < opts.maxTokens) logits = await step(id);
      }
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(tokens).toEqual(wasm.tokens);
    console.log(`${name} in simulation: ${JSON.stringify('ROMEO:' + tk.decode(tokens))} — identical to wasm; ${cyc} cycles per token`);
  });
});
