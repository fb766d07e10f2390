/**
 * Hugging Face checkpoint directories (compiler/frontends/hf): the reader's checks on every kind of
 * bad file, the quantization at load, and that a directory compiles to the same program as the
 * ONNX the trainer exports from the same checkpoint — identical logits, step for step.
 * The checkpoints come from the trainer (models/make_random.py --shape tiny), BF16 and F32.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCheckpoint, compileOnnx } from '../../../../compiler/compile.js';
import { nodeCheckpointIO } from '../../../../compiler/frontends/hf/node-io.js';
import { openCheckpoint, toFloat32 } from '../../../../compiler/frontends/hf/checkpoint.js';
import { ternarize } from '../../../../compiler/frontends/hf/quantize.js';
import { Interpreter } from '../../../../compiler/interp/interp.js';
import { TritError } from '../../../../common/errors.js';

const ROOT = join(import.meta.dirname, '../../../..');
const tmp = mkdtempSync(join(tmpdir(), 'trit-ckpt-'));
const bf16 = join(tmp, 'tiny-bf16');
const f32 = join(tmp, 'tiny-f32');

function py(...args: string[]) {
  const r = spawnSync(join(ROOT, 'models/py'), args, { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`models/py ${args.join(' ')} failed (run models/setup.sh first?):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  py('models/make_random.py', '--shape', 'tiny', '--out', bf16, '--golden-steps', '2', '--seed', '3');
  py('models/make_random.py', '--shape', 'tiny', '--out', f32, '--golden-steps', '2', '--seed', '4', '--dtype', 'f32');
}, 600_000);

const compileDir = (dir: string) => {
  const io = nodeCheckpointIO();
  try {
    return compileCheckpoint(dir, io, {});
  } finally {
    io.close();
  }
};

/** A copy of the BF16 checkpoint to break. */
function broken(name: string): string {
  const d = join(tmp, name);
  cpSync(bf16, d, { recursive: true });
  return d;
}

function errorOf(dir: string): TritError {
  try {
    compileDir(dir);
  } catch (e) {
    if (e instanceof TritError) return e;
    throw e;
  }
  throw new Error('compiled without an error');
}

/** Rewrites a safetensors header through `edit` (the data stays as it was; `append` zero bytes
 *  are added after it, for a new tensor whose offsets start at the old data's end). */
function editHeader(
  file: string,
  edit: (h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>, dataEnd: number) => void,
  append = 0,
) {
  const b0 = readFileSync(file);
  const n = Number(b0.readBigUInt64LE(0));
  const b = Buffer.concat([b0, Buffer.alloc(append)]);
  const h = JSON.parse(b.subarray(8, 8 + n).toString());
  edit(h, b0.length - 8 - n);
  let json = JSON.stringify(h);
  while ((8 + json.length) % 8) json += ' ';
  const hb = Buffer.from(json);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  writeFileSync(file, Buffer.concat([len, hb, b.subarray(8 + n)]));
}

describe('checkpoint directory → the same program as its ONNX export', () => {
  for (const [name, dir] of [
    ['BF16', bf16],
    ['F32', f32],
  ]) {
    it(`${name}: identical logits and states for 60 steps, and the same ternary weights`, () => {
      const a = compileOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), { file: 'model.onnx' });
      const b = compileDir(dir);
      // Every ternary matrix and its scale: the trainer's export quantized with torch, we at load.
      const ta = a.float.nodes.filter((n) => n.op === 'ternary_matmul'),
        tb = b.float.nodes.filter((n) => n.op === 'ternary_matmul');
      expect(tb.length).toBe(ta.length);
      for (let i = 0; i < ta.length; i++) {
        expect(tb[i].attrs.scale).toBe(ta[i].attrs.scale);
        expect(Array.from(b.float.consts.get(tb[i].inputs[1])!.data)).toEqual(Array.from(a.float.consts.get(ta[i].inputs[1])!.data));
      }
      const ia = new Interpreter(a.ir),
        ib = new Interpreter(b.ir);
      let tok = 1;
      for (let s = 0; s < 60; s++) {
        const ra = ia.run({ input_ids: [tok] }),
          rb = ib.run({ input_ids: [tok] });
        for (const k of Object.keys(ra.outputs)) expect(Array.from(rb.outputs[k]), `${k} at step ${s}`).toEqual(Array.from(ra.outputs[k]));
        tok = (tok * 37 + 11) % 512;
      }
    });
  }

  it('reads BF16 and F16 exactly', () => {
    const bits = Uint8Array.from([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40, 0x01, 0x00]); // BF16 1, -2, 3.140625, tiny
    expect(Array.from(toFloat32(bits, 'BF16'))).toEqual([1, -2, 3.140625, Math.fround(2 ** -133 * 1)]);
    const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]); // F16 1, -2, 2^-24, inf
    expect(Array.from(toFloat32(half, 'F16'))).toEqual([1, -2, 2 ** -24, Infinity]);
  });
});

describe('ternary quantization at load (as upstream weight_quant, in float32)', () => {
  it('abs-mean scale, |w·s| = 0.5 rounds to 0 (half to even), clamp to ±1', () => {
    // mean|w| = 1 (in float32) → s_w = 1: ±0.5 → 0, 0.5000001 → 1, −1.5 → −1 (clamped), 3 → 1.
    const w = Float32Array.from([0.5, -0.5, Math.fround(0.5000001), -1.5, 3, 0, -1, -1]);
    const scale = w.reduce((p, v) => p + Math.abs(v), 0) / w.length;
    const t = ternarize(w, {});
    const s = Math.fround(1 / Math.fround(scale));
    expect(Array.from(t.values)).toEqual(
      Array.from(w, (v) => {
        const x = Math.fround(v * s);
        return x > 0.5 ? 1 : x < -0.5 ? -1 : 0;
      }),
    );
    expect(Array.from(t.values)).toEqual([0, 0, 1, -1, 1, 0, -1, -1]);
    expect(t.scale).toBe(Math.fround(1 / s));
  });

  it('an all-zero weight keeps scale 1 (floor 1e-5 on the mean), NaN is refused by name', () => {
    expect(ternarize(new Float32Array(8), {}).scale).toBe(1);
    expect(() => ternarize(Float32Array.from([1, NaN]), { tensor: 'lm_head.weight' })).toThrow(/lm_head\.weight.*NaN/);
  });

  it('quantizes once from the stored floats: W̃ = c·q re-quantized would rescale (upstream issue #18)', () => {
    const w = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * 0.03);
    const t = ternarize(w, {});
    const deq = Float32Array.from(t.values, (q) => q * t.scale);
    const again = ternarize(deq, {});
    expect(Array.from(again.values)).toEqual(Array.from(t.values)); // signs kept…
    expect(again.scale).not.toBe(t.scale); // …but the scale moves: why trit never re-quantizes
  });
});

describe('bad checkpoints: a clear error naming the file and tensor', () => {
  it('no config.json', () => {
    const d = broken('no-config');
    rmSync(join(d, 'config.json'));
    expect(errorOf(d).message).toMatch(
      /no-config: no config.json in the model directory\n {2}hint: to compile the ONNX model here, give its file: .*no-config\/model\.onnx/,
    );
  });

  it('a PyTorch pickle instead of safetensors', () => {
    const d = broken('pickle');
    renameSync(join(d, 'model.safetensors'), join(d, 'pytorch_model.bin'));
    expect(errorOf(d).message).toMatch(/no model.safetensors.*\n.*pytorch_model\.bin.*pickle/s);
  });

  it('truncated weights: offsets past the end, named', () => {
    const d = broken('truncated');
    const f = join(d, 'model.safetensors');
    const b = readFileSync(f);
    writeFileSync(f, b.subarray(0, b.length - 100));
    expect(errorOf(d).message).toMatch(/truncated\/model\.safetensors, tensor 'lm_head\.(norm\.)?weight': data offsets .* do not fit/);
  });

  it('a header length past the end of the file, and a header that is not JSON', () => {
    const d = broken('badlen');
    const f = join(d, 'model.safetensors');
    const b = readFileSync(f);
    b.writeBigUInt64LE(BigInt(b.length));
    writeFileSync(f, b);
    expect(errorOf(d).message).toMatch(/model\.safetensors: the header claims \d+ bytes but the file has/);
    const e = broken('badjson');
    const g = join(e, 'model.safetensors');
    const c = readFileSync(g);
    c[9] = 0x7b;
    c[10] = 0x7b;
    writeFileSync(g, c);
    expect(errorOf(e).message).toMatch(/model\.safetensors: the header is not valid JSON/);
  });

  it('overlapping tensors, an unsupported dtype', () => {
    const d = broken('overlap');
    editHeader(join(d, 'model.safetensors'), (h) => {
      h['model.norm.weight'].data_offsets = [...h['lm_head.norm.weight'].data_offsets];
    });
    expect(errorOf(d).message).toMatch(/its bytes overlap those of/);
    const e = broken('dtype');
    editHeader(join(e, 'model.safetensors'), (h) => {
      h['model.norm.weight'].dtype = 'I16';
    });
    expect(errorOf(e).message).toMatch(/tensor 'model\.norm\.weight': dtype I16 is not supported\n  hint: trit reads F32, F16 and BF16/);
  });

  it('missing, extra and mis-shaped tensors are named', () => {
    const d = broken('missing');
    editHeader(join(d, 'model.safetensors'), (h) => {
      delete h['model.layers.1.attn.g_norm.weight'];
    });
    expect(errorOf(d).message).toMatch(/tensor 'model\.layers\.1\.attn\.g_norm\.weight': the checkpoint has no tensor/);
    const e = broken('extra');
    editHeader(
      join(e, 'model.safetensors'),
      (h, end) => {
        h['model.layers.0.attn.h_conv1d.weight'] = { dtype: 'BF16', shape: [64, 1, 4], data_offsets: [end, end + 512] };
      },
      512,
    );
    expect(errorOf(e).message).toMatch(/tensor 'model\.layers\.0\.attn\.h_conv1d\.weight': is not a tensor of the MatMul-free LM/);
    const f = broken('misshaped');
    const cfg = JSON.parse(readFileSync(join(f, 'config.json'), 'utf8'));
    writeFileSync(join(f, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 128 }));
    expect(errorOf(f).message).toMatch(/tensor 'model\.layers\.0\.mlp\.gate_proj\.weight': has shape \[512,64\] but config\.json implies \[256,64\]/);
  });

  it('configs trit does not compile', () => {
    for (const [k, v, re] of [
      ['model_type', 'llama', /model_type "llama" is not supported/],
      ['use_short_conv', true, /"use_short_conv": true is not supported/],
      ['hidden_size', 0, /"hidden_size" must be a positive integer/],
    ] as const) {
      const d = broken(`cfg-${k}`);
      const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg, [k]: v }));
      expect(errorOf(d).message).toMatch(re);
    }
  });

  it('sharded: a shard missing, the index missing, a tensor the index does not list', () => {
    // Split the tiny checkpoint into two shards with an index, by hand.
    const d = broken('sharded');
    const file = join(d, 'model.safetensors');
    const b = readFileSync(file);
    const n = Number(b.readBigUInt64LE(0));
    const h = JSON.parse(b.subarray(8, 8 + n).toString());
    delete h.__metadata__;
    const names = Object.keys(h);
    const halves = [names.slice(0, 10), names.slice(10)];
    const map: Record<string, string> = {};
    halves.forEach((part, i) => {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      const hh: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      let off = 0;
      for (const k of part) {
        const [a, z] = h[k].data_offsets;
        chunks.push(b.subarray(8 + n + a, 8 + n + z));
        hh[k] = { ...h[k], data_offsets: [off, off + z - a] };
        off += z - a;
        map[k] = shard;
      }
      let json = JSON.stringify(hh);
      while ((8 + json.length) % 8) json += ' ';
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      writeFileSync(join(d, shard), Buffer.concat([len, Buffer.from(json), ...chunks]));
    });
    rmSync(file);
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
    const ck = openCheckpoint(d, nodeCheckpointIO());
    expect(ck.files.length).toBe(2);
    expect(ck.tensors.size).toBe(names.length);
    // The sharded copy compiles to the same program as the single file.
    const one = compileDir(bf16),
      two = compileDir(d);
    const ia = new Interpreter(one.ir),
      ib = new Interpreter(two.ir);
    for (const t of [1, 5, 77])
      expect(Array.from(ib.run({ input_ids: [t] }).outputs.logits)).toEqual(Array.from(ia.run({ input_ids: [t] }).outputs.logits));

    /** A copy of the BF16 checkpoint whose weights are the shards above (`prefix`: which files). */
    const shardedCopy = (name: string, prefix = 'model') => {
      const c = broken(name);
      rmSync(join(c, 'model.safetensors'));
      for (const f of readdirSync(d)) if (f.startsWith(prefix)) copyFileSync(join(d, f), join(c, f));
      return c;
    };
    const noShard = shardedCopy('no-shard');
    rmSync(join(noShard, 'model-00002-of-00002.safetensors'));
    expect(errorOf(noShard).message).toMatch(/model\.safetensors\.index\.json: shard 'model-00002-of-00002\.safetensors' is missing/);
    const noIndex = shardedCopy('no-index', 'model-');
    expect(errorOf(noIndex).message).toMatch(/'model-0000[12]-of-00002\.safetensors' is a shard but model\.safetensors\.index\.json is missing/);
    const unlisted = shardedCopy('unlisted');
    const idx = JSON.parse(readFileSync(join(unlisted, 'model.safetensors.index.json'), 'utf8'));
    delete idx.weight_map['model.norm.weight'];
    writeFileSync(join(unlisted, 'model.safetensors.index.json'), JSON.stringify(idx));
    expect(errorOf(unlisted).message).toMatch(/tensor 'model\.norm\.weight': shard '.*' holds this tensor but the index does not list it/);
  });

  it('a weight holding NaN', () => {
    const d = broken('nan');
    const f = join(d, 'model.safetensors');
    const b = readFileSync(f);
    const n = Number(b.readBigUInt64LE(0));
    const h = JSON.parse(b.subarray(8, 8 + n).toString());
    const [a] = h['model.layers.0.attn.o_proj.weight'].data_offsets;
    b.writeUInt16LE(0x7fc0, 8 + n + a); // BF16 NaN
    writeFileSync(f, b);
    expect(errorOf(d).message).toMatch(/tensor 'model\.layers\.0\.attn\.o_proj\.weight': holds NaN or infinite values/);
  });
});
