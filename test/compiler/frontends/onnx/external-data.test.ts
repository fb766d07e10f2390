/**
 * ONNX external data (how models past protobuf's 2 GB limit are stored, e.g. the 2.7B shape): the
 * trainer writes a tiny model both ways; trit reads the tensors from model.onnx.data beside the
 * file and compiles exactly the same program; a missing or short .data file is a clear error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'trit-ext-'));
const CLI = join(ROOT, 'dist/cli/main.js');
const trit = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

beforeAll(() => {
  const code = [
    'import sys, torch',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'models'))})`,
    'from trit_models.hgrn_bit import HGRNBitConfig, HGRNBitForCausalLM',
    'from trit_models.onnx_lm import export_decode_step',
    'torch.manual_seed(0)',
    'm = HGRNBitForCausalLM(HGRNBitConfig(hidden_size=64, num_hidden_layers=2, vocab_size=128)).eval()',
    `export_decode_step(m, ${JSON.stringify(join(dir, 'one.onnx'))})`,
    `export_decode_step(m, ${JSON.stringify(join(dir, 'ext.onnx'))}, external_data=True)`,
  ].join('\n');
  const r = spawnSync(join(ROOT, 'models/py'), ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`export failed (run models/setup.sh first?): ${r.stderr}`);
});

const irText = (file: string) => {
  const out = join(dir, `${Math.random()}.tir`);
  const r = trit('inspect', file, '--ir', out);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('meta source_sha256'))
    .join('\n');
};

describe('ONNX external data', () => {
  it('compiles to the same IR as the one-file export', () => {
    expect(irText(join(dir, 'ext.onnx'))).toBe(irText(join(dir, 'one.onnx')));
  });
  it('a truncated or missing .data file is a clear error', () => {
    const data = join(dir, 'ext.onnx.data');
    truncateSync(data, 1000);
    let r = trit('inspect', join(dir, 'ext.onnx'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ends before offset|truncated/);
    renameSync(data, data + '.gone');
    r = trit('inspect', join(dir, 'ext.onnx'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/external data file 'ext\.onnx\.data' is missing/);
  });
});
