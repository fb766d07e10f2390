/**
 * `trit inspect | compile | run | verify` on checkpoint directories in the published layout:
 *  - a random-weight `small` checkpoint (models/make_random.py: upstream's config fields and key
 *    names, BF16, the Mistral tokenizer files, split into shards with an index) — compiled, run
 *    with its SentencePiece tokenizer carried in the .wasm, and refused cleanly when broken;
 *  - the trained `mmfree-tinystories-small` of the zoo (same layout): trit's next-token choices
 *    agree with the PyTorch reference loading the same directory on ≥ 99% of 1,000 decode steps.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSentencePiece } from '../../runtime-wasm/host/sentencepiece.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const ZOO = join(ROOT, 'models/zoo/mmfree-tinystories-small');
const tmp = mkdtempSync(join(tmpdir(), 'trit-ckpt-cli-'));
const small = join(tmp, 'small');

const trit = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 600_000 });
function py(...args: string[]) {
  const r = spawnSync(join(ROOT, 'models/py'), args, { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`models/py ${args.join(' ')} failed (run models/setup.sh first?):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  py('models/make_random.py', '--shape', 'small', '--out', small, '--golden-steps', '2', '--no-onnx', '--max-shard-size', '6e6');
}, 900_000);

describe('a random checkpoint in the published layout (sharded BF16 + tokenizer files)', () => {
  it("has upstream's files and config fields", () => {
    const files = readdirSync(small).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'config.json',
        'model.safetensors.index.json',
        'model-00001-of-00005.safetensors',
        'model-00005-of-00005.safetensors',
        'tokenizer.model',
        'tokenizer.json',
        'tokenizer_config.json',
        'special_tokens_map.json',
      ]),
    );
    const cfg = JSON.parse(readFileSync(join(small, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      model_type: 'hgrn_bit',
      architectures: ['HGRNBitForCausalLM'],
      attn_mode: 'fused_recurrent',
      num_heads: 1,
      expand_ratio: 1,
      hidden_ratio: 4,
      intermediate_size: null,
      hidden_act: 'swish',
      rms_norm_eps: 1e-6,
      use_lower_bound: true,
      use_short_conv: false,
      tie_word_embeddings: false,
      vocab_size: 32000,
      bos_token_id: 1,
      eos_token_id: 2,
      torch_dtype: 'bfloat16',
    });
  });

  it('trit inspect <dir> describes the checkpoint and its program', () => {
    const r = trit('inspect', small);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Hugging Face checkpoint, model_type hgrn_bit/);
    expect(r.stdout).toMatch(/config {3}hidden_size 128, 2 layers, intermediate 512, vocab 32000/);
    expect(r.stdout).toMatch(/weights {2}35 tensors, 8,719,872 parameters, 16\.6 MiB in 5 files \(BF16 8,719,872\)/);
    expect(r.stdout).toMatch(/tokenizer tokenizer\.model \(sentencepiece, 32,000 tokens, prompts start with <s>\)/);
    expect(r.stdout).toMatch(/weight multiplies\s+0/);
  });

  it('compiles to one .wasm that carries the tokenizer, and runs a prompt through it', () => {
    const out = join(tmp, 'small.wasm');
    const c = trit('compile', small, '--target', 'wasm', '-o', out);
    expect(c.status, c.stderr).toBe(0);
    const meta = JSON.parse(trit('inspect', out, '--json').stdout);
    expect(meta.tokenizer).toEqual({ format: 'sentencepiece', file: 'tokenizer.model', bytes: 493443, addBos: true });
    expect(meta.irMeta.lut_density).toBe('1024');
    const r = trit('run', out, '--prompt', 'Once upon a time', '--max-tokens', '24', '--seed', '3', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const sp = loadSentencePiece(new Uint8Array(readFileSync(join(small, 'tokenizer.model'))));
    expect(j.promptTokens).toBe(1 + sp.encode('Once upon a time').length); // <s> first
    expect(j.text).toBe(sp.decode([...sp.encode('Once upon a time'), ...j.tokens]).slice('Once upon a time'.length));
    // The directory itself runs (compiled in memory) to the same tokens; so does the tokenizer.json.
    const d = JSON.parse(trit('run', small, '--prompt', 'Once upon a time', '--max-tokens', '24', '--seed', '3', '--json').stdout);
    expect(d.tokens).toEqual(j.tokens);
    const viaJson = join(tmp, 'small-json.wasm');
    expect(trit('compile', small, '-o', viaJson, '--tokenizer', join(small, 'tokenizer.json')).status).toBe(0);
    expect(JSON.parse(trit('inspect', viaJson, '--json').stdout).tokenizer.format).toBe('tokenizer.json');
    expect(JSON.parse(trit('run', viaJson, '--prompt', 'Once upon a time', '--max-tokens', '24', '--seed', '3', '--json').stdout).tokens).toEqual(
      j.tokens,
    );
  });

  it('a broken directory is one clear line, and no .wasm is left behind', () => {
    const bad = join(tmp, 'bad');
    cpSync(small, bad, { recursive: true });
    const idx = JSON.parse(readFileSync(join(bad, 'model.safetensors.index.json'), 'utf8'));
    const victim = Object.keys(idx.weight_map).find((k) => k.endsWith('mlp.down_proj.weight'))!;
    idx.weight_map[victim] = 'model-00009-of-00009.safetensors';
    writeFileSync(join(bad, 'model.safetensors.index.json'), JSON.stringify(idx));
    const out = join(tmp, 'bad.wasm');
    const r = trit('compile', bad, '-o', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^trit: error: .*bad\/model\.safetensors\.index\.json: shard 'model-00009-of-00009\.safetensors' is missing\n {2}hint: /,
    );
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(out)).toBe(false);
    const t = trit('compile', small, '--tokenizer', join(tmp, 'nope.model'), '-o', out);
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/nope\.model: no such file/);
    expect(trit('compile', small, '--lut-density', '100').stderr).toMatch(/--lut-density must be a power of two/);
  });
});

describe('the trained same-layout model: agreement with the PyTorch reference', () => {
  it("≥ 99% of 1,000 teacher-forced decode steps choose the reference's next token", () => {
    const golden = join(tmp, 'ref-golden.safetensors');
    py('models/reference_golden.py', ZOO, '--steps', '1000', '--prompt-tokens', '500', '--out', golden);
    const wasm = join(tmp, 'tinystories-small.wasm');
    const c = trit('compile', ZOO, '-o', wasm);
    expect(c.status, c.stderr).toBe(0);
    const v = trit('verify', wasm, '--golden', golden, '--min-agreement', '0.99', '--max-rel-error', '0.15', '--json');
    const r = JSON.parse(v.stdout);
    console.log(
      `[checkpoint] ${ZOO}: next-token agreement ${(r.argmaxAgreement * 100).toFixed(1)}% over ${r.steps} steps, logits rel. error ${r.outputs[0].relError.toExponential(2)}`,
    );
    expect(r.steps).toBe(1000);
    expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.99);
    expect(v.status).toBe(0);
  });
});
