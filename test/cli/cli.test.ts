/**
 * The `trit` binary as users and scripts call it (built output in dist/, as installed).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGraph } from '../../compiler/ir/text.js';
import { validate } from '../../compiler/ir/validate.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const LM = 'models/zoo/random-mmfree-tiny';
const COLS = 'models/zoo/random-columns-tiny';
const trit = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') });

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
});

describe('trit inspect', () => {
  it('--json has the statistics scripts read, with zero weight multiplies', () => {
    const r = trit('inspect', `${LM}/model.onnx`, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['adds', 'subs', 'weightMultiplies', 'elementwiseMultiplies', 'lookups', 'weightBytes']) expect(typeof j.stats[k]).toBe('number');
    expect(j.stats.weightMultiplies).toBe(0);
    expect(j.stats.weightBytes).toBe(24576); // 98,304 ternary weights at 2 bits
    expect(j.states).toHaveLength(2);
  });

  it('prints a readable summary and writes the IR text, which parses and validates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-'));
    const r = trit('inspect', `${COLS}/model.onnx`, '--ir', join(dir, 'm.tir'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/weight multiplies\s+0/);
    expect(r.stdout).toMatch(/adds\s+[\d,]+/);
    validate(parseGraph(readFileSync(join(dir, 'm.tir'), 'utf8')));
  });

  it('names a missing file and exits 1 without a stack trace', () => {
    const r = trit('inspect', 'nope.onnx');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^trit: error: nope.onnx: no such file/);
    expect(r.stderr).not.toMatch(/\bat \w+ \(/);
  });

  it('refuses a corrupt file with a clear message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-'));
    const bytes = readFileSync(`${LM}/model.onnx`);
    writeFileSync(join(dir, 'cut.onnx'), bytes.subarray(0, bytes.length >> 1));
    const r = trit('inspect', join(dir, 'cut.onnx'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cut.onnx: not a valid ONNX file/);
  });
});

describe('trit verify', () => {
  it('passes the bundled LM against its golden vectors (--json)', () => {
    const r = trit('verify', `${LM}/model.onnx`, '--golden', `${LM}/golden.safetensors`, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pass).toBe(true);
    expect(j.argmaxAgreement).toBeGreaterThanOrEqual(0.995);
    expect(j.outputs.map((o: { name: string }) => o.name).sort()).toEqual(['logits', 'new_state.0', 'new_state.1']);
    expect(j.layers.map((o: { name: string }) => o.name)).toEqual(['model.layers.0.out', 'model.layers.1.out']);
  });

  it('passes the bundled classifier, with a human-readable table', () => {
    const r = trit('verify', `${COLS}/model.onnx`, '--golden', `${COLS}/golden.safetensors`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/logits .* ok/);
    expect(r.stdout).toMatch(/PASS: argmax agreement/);
  });

  it('fails (exit 1) outside the tolerances', () => {
    const r = trit('verify', `${LM}/model.onnx`, '--golden', `${LM}/golden.safetensors`, '--max-rel-error', '1e-9', '--json');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).pass).toBe(false);
  });

  it("fails against another model's golden vectors", () => {
    const r = trit('verify', `${COLS}/model.onnx`, '--golden', `${LM}/golden.safetensors`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/golden file has no input.image/);
  });

  it('needs --golden', () => {
    const r = trit('verify', `${LM}/model.onnx`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/verify needs --golden/);
  });
});

describe('trit CLI basics', () => {
  it('--version and --help', () => {
    expect(trit('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(trit('--help').stdout).toMatch(/trit inspect <model>/);
    // A verb's own help lists the options every verb takes, last --help.
    for (const verb of ['inspect', 'compile', 'run', 'verify', 'bench', 'search'])
      expect(trit(verb, '--help').stdout).toMatch(/--max-elements[\s\S]*-h, --help/);
  });
  it('unknown verbs and flags exit 2 with usage', () => {
    expect(trit('frobnicate').status).toBe(2);
    expect(trit('inspect', 'x', '--bogus').status).toBe(2);
  });
  it('refuses bad bench flags before running anything; --target verilog needs a device', () => {
    for (const [args, msg] of [
      [['bench', 'model.onnx'], /bench takes no model/],
      [['bench', '--fpga', 'sometimes'], /--fpga must be auto, skip or rebuild/],
      [['bench', '--watts-per-core', '0'], /--watts-per-core must be a positive number/],
      [['bench', '--repeats', '0'], /--repeats must be an integer ≥ 1/],
      [['bench', '--big', '/nonexistent/370m'], /no such folder/],
    ] as [string[], RegExp][]) {
      const r = trit(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const v = trit('compile', `${LM}/model.onnx`, '--target', 'verilog', '-o', '/tmp/never');
    expect(v.status).toBe(1);
    expect(v.stderr).toMatch(/--target verilog needs --device/);
  });
});

describe('trit search', () => {
  it('refuses bad flags by name, and a report of an archive that does not exist', () => {
    for (const [args, msg] of [
      [['search'], /search needs --db/],
      [['search', '--db', '/tmp/never.sqlite', '--jobs', '0'], /--jobs must be an integer ≥ 1/],
      [['search', '--db', '/tmp/never.sqlite', '--budget', '0'], /--budget must be a positive number/],
      [['search', '--db', '/nonexistent/a.sqlite', '--report', '/tmp/never'], /no such archive/],
    ] as [string[], RegExp][]) {
      const r = trit(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });
  it('runs a trial, then --json lists the archive and --report writes the fronts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-search-'));
    const db = join(dir, 's.sqlite');
    const r = trit(
      'search',
      '--db',
      db,
      '--trials',
      '1',
      '--budget',
      '1',
      '--train-images',
      '1000',
      '--test-images',
      '200',
      '--no-fpga',
      '--no-wasm',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout.trim().split('\n')[0]);
    expect(t.status).toBe('done');
    expect(t.metrics.accuracy).toBeGreaterThan(0.3);
    expect(trit('search', '--db', db, '--report', join(dir, 'rep')).status).toBe(0);
    expect(readFileSync(join(dir, 'rep', 'report.md'), 'utf8')).toMatch(/## Archive/);
  });
});
