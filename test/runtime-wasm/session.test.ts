/**
 * The host API: prefill + decode equals token-by-token decode; sampling is a pure function of the
 * seed; classify; relaxed-SIMD builds; and the errors a user sees for bad .wasm files.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileOnnx } from '../../compiler/compile.js';
import { linkWasm } from '../../compiler/backends/wasm/link.js';
import { TritSession } from '../../runtime-wasm/host/session.js';
import { DATA_SECTION, META_SECTION } from '../../runtime-wasm/host/format.js';
import { concatBytes, customSection, readSections } from '../../runtime-wasm/host/binary.js';
import { buildColumnsClassifier, buildMatmulFreeLM } from '../../fixtures/models.js';
import { TritError } from '../../common/errors.js';
import { expDet, rng, sample } from '../../runtime-wasm/host/sampling.js';

const ROOT = join(import.meta.dirname, '../..');
const lm = () =>
  linkWasm(compileOnnx(buildMatmulFreeLM({ vocab: 40, d: 48, layers: 2, inter: 64, seed: 9 }), { calibrationSteps: 16 }).ir, {
    vocab: Array.from({ length: 40 }, (_, i) => String.fromCharCode(48 + i)),
  });

describe('language-model API', () => {
  it('prefill (advance, no head) + decode = step by step, and generate repeats for a seed', async () => {
    const w = lm();
    const s = await TritSession.create(w.bytes);
    const prompt = [3, 1, 4, 1, 5, 9, 2, 6];
    s.reset();
    let a: Float32Array = new Float32Array(0);
    for (const t of prompt) a = s.step(t);
    const next1 = s.step(7);
    s.reset();
    const b = s.prefill(prompt);
    const next2 = s.step(7);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(next2)).toEqual(Array.from(next1));
    const g1 = s.generateSync('3141', { maxTokens: 30, seed: 5, temperature: 0.9, topK: 10 });
    const g2 = s.generateSync('3141', { maxTokens: 30, seed: 5, temperature: 0.9, topK: 10 });
    const g3 = s.generateSync('3141', { maxTokens: 30, seed: 6, temperature: 0.9, topK: 10 });
    expect(g1.tokens).toEqual(g2.tokens);
    expect(g1.tokens).not.toEqual(g3.tokens);
    expect(g1.text.length).toBe(30);
    const streamed: string[] = [];
    await s.generate('31', { maxTokens: 5, onToken: (t) => streamed.push(t) });
    expect(streamed.length).toBe(5);
    expect(() => s.step(40)).toThrow(/token ids must be integers in \[0, 40\)/);
    expect(() => s.generateSync('x!', {})).toThrow(/not in the model's vocabulary/);
    await s.close();
  });

  it('two threads give the same tokens as one', async () => {
    const ir = compileOnnx(buildMatmulFreeLM({ vocab: 64, d: 96, layers: 2, inter: 200, seed: 3 }), { calibrationSteps: 16 }).ir;
    const w = linkWasm(ir, { threadMinWeights: 0 });
    // The metadata says which matrices threads share: all of them here, none at the default size.
    const matrices = ir.nodes.filter((n) => n.op === 'ternary_matmul').length;
    expect(matrices).toBeGreaterThan(10);
    expect(w.meta.threading).toEqual({ matrices, shared: matrices, minWeights: 0 });
    expect(linkWasm(ir).meta.threading).toEqual({ matrices, shared: 0, minWeights: 524288 });
    const s1 = await TritSession.create(w.bytes, { threads: 1 });
    const s2 = await TritSession.create(w.bytes, { threads: 2 });
    expect(s2.threads).toBe(2);
    const a = s1.generateSync('\u0001\u0002', { maxTokens: 40, seed: 1, temperature: 1 });
    const b = s2.generateSync('\u0001\u0002', { maxTokens: 40, seed: 1, temperature: 1 });
    expect(b.tokens).toEqual(a.tokens);
    await s1.close();
    await s2.close();
  });

  it('more threads than cores: chunks claimed by whoever is running give the same logits, step after step, and so does switching the count', async () => {
    // Four threads on a CI machine's two cores: threads are descheduled mid-step all the time, so
    // the others claim their chunks (runtime-wasm/assembly/threads.ts). Every logit must still
    // equal the one-thread run, and no step may hang.
    const ir = compileOnnx(buildMatmulFreeLM({ vocab: 64, d: 96, layers: 2, inter: 200, seed: 4 }), { calibrationSteps: 16 }).ir;
    const w = linkWasm(ir, { threadMinWeights: 0 });
    const s1 = await TritSession.create(w.bytes, { threads: 1 });
    const s4 = await TritSession.create(w.bytes, { threads: 4, adaptiveThreads: false });
    // The default session switches between 4 threads and one by measuring (tuner.ts): its first
    // 12 steps always use both counts, so the switch itself is exercised here too.
    const sa = await TritSession.create(w.bytes, { threads: 4 });
    expect(s4.threads).toBe(4);
    let differing = 0;
    for (let i = 0; i < 300; i++) {
      const tok = (i * 37 + 5) % 64;
      const a = s1.step(tok),
        b = s4.step(tok),
        c = sa.step(tok);
      if (a.some((x, j) => !Object.is(x, b[j]) || !Object.is(x, c[j]))) differing++;
    }
    expect(differing).toBe(0);
    expect([1, 4]).toContain(sa.threadsInUse);
    expect(s4.threadsInUse).toBe(4);
    await s1.close();
    await s4.close();
    await sa.close();
  });

  it('runs on plain (unshared) memory too, as in a page without cross-origin isolation', async () => {
    const w = lm();
    const a = await TritSession.create(w.bytes);
    const b = await TritSession.create(w.bytes, { sharedMemory: false, threads: 2 });
    expect(b.threads).toBe(1);
    expect(b.memoryBytes).toBe(a.memoryBytes);
    expect(b.generateSync('3141', { maxTokens: 20, seed: 2, temperature: 1 }).tokens).toEqual(
      a.generateSync('3141', { maxTokens: 20, seed: 2, temperature: 1 }).tokens,
    );
  });

  it('the sampler (radix-ranked logits) picks exactly what the plain sort-and-walk definition picks', () => {
    // The definition: ids by descending logit, ties by id; top-k; weights exp((l − top)/T) by the
    // same exp; walk the cumulative sum. (What sampling.ts did before it was made fast.)
    const reference = (logits: Float32Array, temp: number, topK: number, u01: number): number => {
      const ids = Array.from(logits, (_, i) => i)
        .sort((a, b) => logits[b] - logits[a] || a - b)
        .slice(0, topK > 0 ? topK : logits.length);
      const w = ids.map((i) => expDet((logits[i] - logits[ids[0]]) / temp));
      let u = u01 * w.reduce((x, y) => x + y, 0);
      for (let j = 0; j < ids.length; j++) if ((u -= w[j]) < 0) return ids[j];
      return ids[ids.length - 1];
    };
    const r = rng(5);
    let checked = 0;
    for (const V of [2, 3, 17, 65, 256, 4099, 32000]) {
      for (let t = 0; t < (V > 5000 ? 4 : 40); t++) {
        // Coarse values make ties; ±0, negatives, and a wide range of magnitudes.
        const logits = Float32Array.from({ length: V }, () => {
          const x = r();
          return x < 0.1 ? 0 : x < 0.15 ? -0 : x < 0.5 ? Math.round((x - 0.3) * 40) / 4 : (x - 0.75) * 10 ** Math.floor(r() * 5 - 2);
        });
        for (const [temp, topK] of [
          [0.8, 0],
          [1, 0],
          [0.3, 5],
          [2, 40],
        ] as const) {
          const seed = Math.floor(r() * 1e9);
          const u = rng(seed)();
          expect(sample(logits, { temperature: temp, topK }, rng(seed)), `V ${V} T ${temp} k ${topK}`).toBe(reference(logits, temp, topK, u));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(900);
  });

  it('the softmax exp is arithmetic-only and accurate', () => {
    for (const x of [0, -1e-9, -0.5, -1, -3.3, -20, -700]) expect(Math.abs(expDet(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(1e-13);
    const a = rng(1),
      b = rng(1),
      c = rng(2);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect([c(), c(), c()]).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('classifier API', () => {
  it('classify agrees with forward and accepts 0–255 pixels', async () => {
    const { ir } = compileOnnx(buildColumnsClassifier({ inputs: 784, columns: 2, width: 16, hidden: 16, classes: 10, seed: 4 }), {
      calibrationSteps: 16,
    });
    const s = await TritSession.create(linkWasm(ir, { classes: 'zero one two three four five six seven eight nine'.split(' ') }).bytes);
    const px = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const c = s.classify(px);
    const f = s.forward(Float32Array.from(px, (v) => v / 255));
    expect(Array.from(c.scores)).toEqual(Array.from(f));
    expect(c.name).toBe('zero one two three four five six seven eight nine'.split(' ')[c.label]);
    expect(() => s.classify(new Uint8Array(10))).toThrow(/784/);
    expect(() => s.forward(new Float32Array(784).fill(NaN))).toThrow(/NaN/);
  });
});

describe('relaxed SIMD build', () => {
  it('equals the fixed build where the engine accepts it (Node 20 needs --experimental-wasm-relaxed-simd)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-relaxed-'));
    const model = join(ROOT, 'models/zoo/random-mmfree-tiny/model.onnx');
    const cli = join(ROOT, 'dist/cli/main.js');
    for (const simd of ['fixed', 'relaxed']) {
      const r = spawnSync(process.execPath, [cli, 'compile', model, '--target', 'wasm', '--simd', simd, '-o', join(dir, `${simd}.wasm`)], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
    }
    const run = (flags: string[], file: string) =>
      spawnSync(process.execPath, [...flags, cli, 'run', join(dir, file), '--prompt', '!"#', '--max-tokens', '50', '--seed', '3', '--json'], {
        encoding: 'utf8',
      });
    const fixed = run([], 'fixed.wasm');
    expect(fixed.status, fixed.stderr).toBe(0);
    // Without the flag Node 20 refuses relaxed SIMD: a clear error, not a crash.
    const refused = run([], 'relaxed.wasm');
    if (refused.status !== 0) expect(refused.stderr).toMatch(/relaxed SIMD|compile with --simd fixed/);
    const relaxed = run(['--experimental-wasm-relaxed-simd'], 'relaxed.wasm');
    expect(relaxed.status, relaxed.stderr).toBe(0);
    expect(JSON.parse(relaxed.stdout).tokens).toEqual(JSON.parse(fixed.stdout).tokens);
  });
});

describe('bad .wasm files get clear errors', () => {
  const good = lm().bytes;
  const expectError = async (bytes: Uint8Array, re: RegExp) => {
    await expect(TritSession.create(bytes)).rejects.toThrow(TritError);
    await expect(TritSession.create(bytes)).rejects.toThrow(re);
  };
  it('truncated', async () => {
    for (const n of [0, 5, 100, Math.floor(good.length / 2), good.length - 1])
      await expectError(good.subarray(0, n), /not a valid \.wasm|not a WebAssembly|truncated|not a model compiled by trit|rejected/);
  });
  it('not wasm at all', async () => {
    await expectError(new TextEncoder().encode('{"hello": 1}'), /not a WebAssembly module/);
  });
  it('a wasm without trit metadata', async () => {
    await expectError(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), /not a model compiled by trit/);
  });
  it('compiled by an incompatible trit', async () => {
    // Replace the metadata section with one claiming another version.
    const secs = readSections(good);
    const keep = secs.filter(
      (s) => !(s.id === 0 && new TextDecoder().decode(good.subarray(s.body[0] + 1, s.body[0] + 1 + META_SECTION.length)) === META_SECTION),
    );
    const meta = JSON.parse(new TextDecoder().decode(good.subarray(secs.at(-1)!.body[0] + 1 + META_SECTION.length, secs.at(-1)!.body[1])));
    const old = concatBytes([
      good.subarray(0, 8),
      ...keep.map((s) => good.subarray(s.start, s.end)),
      customSection(META_SECTION, new TextEncoder().encode(JSON.stringify({ ...meta, tritVersion: '0.0.1' }))),
    ]);
    await expectError(old, /compiled by trit 0\.0\.1.*recompile/s);
  });
  it('forged metadata: every field the host trusts is checked first', async () => {
    const secs = readSections(good);
    const isMeta = (sec: (typeof secs)[number]) =>
      sec.id === 0 &&
      good[sec.body[0]] === META_SECTION.length &&
      new TextDecoder().decode(good.subarray(sec.body[0] + 1, sec.body[0] + 1 + META_SECTION.length)) === META_SECTION;
    const metaSec = secs.find(isMeta)!;
    const meta = JSON.parse(new TextDecoder().decode(good.subarray(metaSec.body[0] + 1 + META_SECTION.length, metaSec.body[1])));
    const withMeta = (m: unknown) =>
      concatBytes([
        good.subarray(0, 8),
        ...secs.filter((sec) => !isMeta(sec)).map((sec) => good.subarray(sec.start, sec.end)),
        customSection(META_SECTION, new TextEncoder().encode(JSON.stringify(m))),
      ]);
    const slot0 = meta.inputs[0];
    const cases: [unknown, RegExp][] = [
      [null, /section is not an object/],
      [[1], /section is not an object/],
      [{ ...meta, tritVersion: 7 }, /compiled by trit 7/],
      [{ ...meta, inputs: null }, /inputs is not a list of tensors/],
      [{ ...meta, inputs: [{ ...slot0, offset: -4 }] }, /inputs\[0\] .*lie outside the memory/],
      [{ ...meta, inputs: [{ ...slot0, offset: meta.pages * 65536 }] }, /lie outside the memory/],
      [{ ...meta, inputs: [{ ...slot0, shape: [1, -3] }] }, /shape \[1,-3\]/],
      [{ ...meta, outputs: [{ ...meta.outputs[0], storage: 'i64' }] }, /storage "i64"/],
      [{ ...meta, pages: 1 }, /pages 1 but the module imports a memory of/],
      [{ ...meta, primary: 'nope' }, /primary "nope" is not an output/],
      [{ ...meta, ctl: 2 ** 40 }, /ctl .* outside the memory/],
      [{ ...meta, states: [{ offset: 0, bytes: 2 ** 40 }] }, /states\[0\] lies outside/],
      [{ ...meta, vocab: [1, 2] }, /vocab is not a list of strings/],
    ];
    for (const [m, re] of cases) await expectError(withMeta(m), re);
  });
  it('corrupt bytes in the code', async () => {
    const bad = good.slice();
    const code = readSections(bad).find((s) => s.id === 10)!;
    for (let i = code.body[0] + 10; i < code.body[1]; i += 7) bad[i] ^= 0xff;
    await expectError(bad, /rejected the module|not a valid/);
  });
  it('a constants section that lies about its segments', async () => {
    // Rebuild the file with a forged trit.data payload: each forgery must be refused by name
    // before anything is copied into memory.
    const secs = readSections(good);
    const nameOf = (sec: (typeof secs)[number]) => {
      const n = good[sec.body[0]];
      return new TextDecoder().decode(good.subarray(sec.body[0] + 1, sec.body[0] + 1 + n));
    };
    const forged = (payload: Uint8Array) =>
      concatBytes([
        good.subarray(0, 8),
        ...secs.map((sec) =>
          sec.id === 0 && nameOf(sec) === DATA_SECTION ? customSection(DATA_SECTION, payload) : good.subarray(sec.start, sec.end),
        ),
      ]);
    const u32s = (...v: number[]) => new Uint8Array(Uint32Array.from(v).buffer);
    await expectError(forged(u32s(0xffffff)), /constants section is corrupt: 16777215 segments do not fit/);
    await expectError(forged(concatBytes([u32s(1, 2 ** 31, 4), u32s(7)])), /segment 0 \(4 bytes at 2147483648\) lies outside/);
    await expectError(forged(concatBytes([u32s(1, 70000, 8), u32s(7)])), /its segments hold 20 bytes but the section 16/);
    await expectError(forged(new Uint8Array(2)), /no segment count/);
  });
  it('a directory instead of a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-dir-'));
    await expect(TritSession.create(dir)).rejects.toThrow(/not a regular file/);
  });
  it('the CLI prints one line, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-bad-'));
    const f = join(dir, 'x.wasm');
    writeFileSync(f, readFileSync(join(ROOT, 'models/zoo/random-mmfree-tiny/model.onnx')).subarray(0, 100));
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run', f, '--prompt', 'a'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^trit: error: .*x\.wasm/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('browser-safe runtime', () => {
  it('the runtime and everything it imports statically use no Node built-in (only lazy imports)', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)) {
        const spec = m[1];
        expect(spec.startsWith('node:') || ['fs', 'path', 'url', 'worker_threads'].includes(spec), `${file} imports ${spec} statically`).toBe(false);
        if (spec.startsWith('.')) visit(join(file, '..', spec));
      }
    };
    visit(join(ROOT, 'dist/runtime-wasm/host/session.js'));
    visit(join(ROOT, 'dist/runtime-wasm/host/worker.js'));
    expect(seen.size).toBeGreaterThan(4);
  });
});

describe('models that do not fit', () => {
  const { ir } = compileOnnx(buildMatmulFreeLM({ vocab: 40, d: 48, layers: 2, inter: 64, seed: 9 }), { calibrationSteps: 16 });
  it('are refused at compile time with the numbers (memory)', () => {
    expect(() => linkWasm(ir, { limits: { memoryBytes: 2 ** 16, device: 'a test device' } })).toThrow(
      /needs \d+ MiB of linear memory; a test device addresses at most 0 MiB \(weights \d+ MiB, other constants \d+ MiB\)/,
    );
  });
  it('are refused at compile time with the numbers (module size)', () => {
    expect(() => linkWasm(ir, { limits: { moduleBytes: 1000, device: 'a test engine' } })).toThrow(
      /the \.wasm's code and metadata would be \d+ MiB; a test engine refuse modules over 0 MiB/,
    );
  });
});
