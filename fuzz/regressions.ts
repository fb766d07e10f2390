/**
 * @fileoverview Named hostile inputs: every class of issue 20's probe and every fuzz finding,
 * each with the clean error it must end in. `test/fuzz/regressions.test.ts` runs them all under
 * the watchdog (a hang or a blow-up fails the test instead of stalling it).
 */
import { gzipSync } from 'node:zlib';
import { onnx } from '../compiler/frontends/onnx/proto.js';
import { META_SECTION, TOKENIZER_SECTION } from '../runtime-wasm/host/format.js';
import { GraphBuilder } from '../fixtures/onnx-builder.js';
import type { Assets } from './assets.js';
import { forgedModule, forgeWasm, metaOf, withHeader } from './generators.js';
import type { Case, FileSpec } from './runner.js';

export interface Regression extends Case {
  /** What the one error line (or, for an accepted case, the first line printed) must say. */
  expect: RegExp;
  /** 'clean' (one trit error) unless said otherwise. */
  verdict?: 'clean' | 'accepted';
}

const enc = (s: string) => new TextEncoder().encode(s);
const NOT_REGULAR: [string, FileSpec][] = [
  ['a directory', { dir: {} }],
  ['a FIFO', { fifo: true }],
  ['/dev/zero', { symlink: '/dev/zero' }],
  ['/dev/urandom', { symlink: '/dev/urandom' }],
];
const NOT_REGULAR_MSG = /is (a directory|a named pipe \(FIFO\)|a device)/;

function graph(f: (b: GraphBuilder) => void): Uint8Array {
  const b = new GraphBuilder('hostile');
  f(b);
  return b.encode();
}

function tokenizerWith(a: Assets, edit: (t: Record<string, unknown>, model: Record<string, unknown>) => unknown): string {
  const t = JSON.parse(a.tokenizerJson);
  const r = edit(t, t.model);
  return JSON.stringify(r === undefined ? t : r);
}

export function regressions(a: Assets): Regression[] {
  const cases: Regression[] = [];
  const add = (id: string, files: Record<string, FileSpec>, argv: string[], expect: RegExp, verdict?: 'accepted') =>
    cases.push({ id, format: 'regression', files, argv, expect, verdict });
  const meta = metaOf(a.lmWasm);
  const ck = (config: FileSpec, extra: Record<string, FileSpec> = {}) => ({
    ck: { dir: { 'config.json': config, 'model.safetensors': a.checkpoint.safetensors, ...extra } },
  });
  const wasmMeta = (m: unknown) => forgeWasm(a.lmWasm, { [META_SECTION]: enc(JSON.stringify(m)) });
  const runWasm = ['run', '{}/m.wasm', '--prompt', '\u0001\u0002', '--max-tokens', '2'];

  // 1. Size bombs
  add(
    'bomb: ConstantOfShape 2^28',
    {
      'm.onnx': graph((b) => {
        const x = b.input('x', [1, 4]);
        const big = b.op('ConstantOfShape', [b.init('shape', [1], [2 ** 28], 7)]);
        b.output(b.op('Add', [x, b.op('ReduceSum', [big], { keepdims: 0 })]), [1, 4]);
      }),
    },
    ['inspect', '{}/m.onnx'],
    /shape \[268435456\] would hold 268,435,456 elements; the budget is 2\^24/,
  );
  add(
    'bomb: broadcast folded to 2^30',
    {
      'm.onnx': graph((b) => {
        const x = b.input('x', [1, 4]);
        const n = 2 ** 15;
        const c = b.op('Add', [b.init('a', [n, 1], new Array(n).fill(1)), b.init('b', [1, n], new Array(n).fill(2))]);
        b.output(b.op('Add', [x, b.op('ReduceMax', [c], { keepdims: 0 })]), [1, 4]);
      }),
    },
    ['inspect', '{}/m.onnx'],
    /would hold 1,073,741,824 elements; the budget is 2\^24/,
  );
  add(
    'bomb: activation of 2^28',
    { 'm.onnx': graph((b) => b.output(b.op('Relu', [b.input('x', [1, 2 ** 28])]), [1, 2 ** 28])) },
    ['inspect', '{}/m.onnx'],
    /tensor 'x': shape \[1,268435456\] would hold 268,435,456 elements/,
  );
  add(
    'bomb: config.json with a million layers',
    ck(JSON.stringify({ ...JSON.parse(a.checkpoint.config), num_hidden_layers: 1_000_000 })),
    ['inspect', '{}/ck'],
    /config.json \(1000000 layers.*describes 15,000,005 tensors.*but the checkpoint holds 20 tensors/,
  );
  add(
    'bomb: tokenizer.json vocab id 1e9',
    { 'm.onnx': a.lmOnnx, 'tokenizer.json': tokenizerWith(a, (_, m) => void (m.vocab = { a: 1e9 })) },
    ['compile', '{}/m.onnx', '--target', 'wasm', '--tokenizer', '{}/tokenizer.json', '-o', '{}/o.wasm'],
    /vocab id 1000000000 of "a" is not a token id \(0…1048575\)/,
  );
  add(
    'bomb: carried tokenizer vocab id 1e9',
    { 'm.wasm': forgeWasm(a.lmWasmTok, { [TOKENIZER_SECTION]: enc(tokenizerWith(a, (_, m) => void (m.vocab = { a: 1e9 }))) }) },
    runWasm,
    /m\.wasm \(the tokenizer\.json it carries\): vocab id 1000000000/,
  );
  add(
    'bomb: MNIST .gz that inflates to 1 GiB',
    {
      'm.wasm': a.classifierWasm,
      mnist: { dir: { 't10k-images-idx3-ubyte.gz': gzipSync(new Uint8Array(2 ** 30), { level: 9 }), 't10k-labels-idx1-ubyte.gz': a.idxLabels } },
    },
    ['run', '{}/m.wasm', '--mnist', '{}/mnist'],
    /inflates past 256 MiB/,
  );

  // 2. Files that are not regular files, for every input the CLI reads
  const lmDir = (name: string, spec: FileSpec) => ({ 'm.onnx': a.lmOnnx, [name]: spec });
  for (const [kind, spec] of NOT_REGULAR) {
    add(`${kind}: config.json`, ck(spec), ['inspect', '{}/ck'], NOT_REGULAR_MSG);
    add(
      `${kind}: model.safetensors`,
      { ck: { dir: { 'config.json': a.checkpoint.config, 'model.safetensors': spec } } },
      ['inspect', '{}/ck'],
      NOT_REGULAR_MSG,
    );
    for (const f of ['tokenizer.json', 'tokenizer.model'])
      add(`${kind}: ${f}`, lmDir(f, spec), ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/o.wasm'], NOT_REGULAR_MSG);
    add(
      `${kind}: tokenizer_config.json`,
      { ...lmDir('tokenizer.json', a.tokenizerJson), 'tokenizer_config.json': spec },
      ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/o.wasm'],
      NOT_REGULAR_MSG,
    );
    add(`${kind}: vocab.json`, lmDir('vocab.json', spec), ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/o.wasm'], NOT_REGULAR_MSG);
    add(
      `${kind}: --vocab`,
      lmDir('v.json', spec),
      ['compile', '{}/m.onnx', '--target', 'wasm', '--vocab', '{}/v.json', '-o', '{}/o.wasm'],
      NOT_REGULAR_MSG,
    );
    add(`${kind}: --golden`, lmDir('g.safetensors', spec), ['verify', '{}/m.onnx', '--golden', '{}/g.safetensors'], NOT_REGULAR_MSG);
    add(`${kind}: --calibration`, lmDir('c.safetensors', spec), ['inspect', '{}/m.onnx', '--calibration', '{}/c.safetensors'], NOT_REGULAR_MSG);
    add(`${kind}: calibration.safetensors beside the model`, lmDir('calibration.safetensors', spec), ['inspect', '{}/m.onnx'], NOT_REGULAR_MSG);
    if (!(typeof spec === 'object' && 'dir' in spec)) add(`${kind}: the .onnx`, { 'm.onnx': spec }, ['inspect', '{}/m.onnx'], NOT_REGULAR_MSG);
    add(`${kind}: the .wasm (run)`, { 'm.wasm': spec }, runWasm, /not a regular file|no config\.json in the model directory/);
    add(`${kind}: the .wasm (inspect)`, { 'm.wasm': spec }, ['inspect', '{}/m.wasm'], NOT_REGULAR_MSG);
    add(
      `${kind}: MNIST images`,
      { 'm.wasm': a.classifierWasm, mnist: { dir: { 't10k-images-idx3-ubyte.gz': spec, 't10k-labels-idx1-ubyte.gz': a.idxLabels } } },
      ['run', '{}/m.wasm', '--mnist', '{}/mnist'],
      NOT_REGULAR_MSG,
    );
  }

  // 3. What used to escape as "internal error"
  for (const location of ['.', 'sub', '../outside.data', '/dev/zero']) {
    const m = onnx.ModelProto.decode(a.lmOnnx);
    const t = m.graph!.initializer!.find((x) => x.dataType === 1)!;
    Object.assign(t, { dataLocation: 1, rawData: new Uint8Array(0), floatData: [], externalData: [{ key: 'location', value: location }] });
    add(
      `external data at '${location}'`,
      { 'm.onnx': onnx.ModelProto.encode(m).finish(), sub: { dir: {} } },
      ['inspect', '{}/m.onnx'],
      /is a directory|bad external-data location/,
    );
  }
  const tokenizerCases: [string, (t: Record<string, unknown>, m: Record<string, unknown>) => unknown, RegExp][] = [
    ['an empty vocab', (_, m) => void (m.vocab = {}), /model\.vocab is empty/],
    ['a vocab id of 2^32', (_, m) => void (m.vocab = { ...(m.vocab as object), z: 2 ** 32 }), /vocab id 4294967296/],
    ['merges that are not a list', (_, m) => void (m.merges = 'a b'), /model\.merges is not a list/],
    ['a merge that is a number', (_, m) => void (m.merges = [1]), /merge 1 is neither/],
    ['added_tokens holding null', (t) => void (t.added_tokens = [null]), /added token null is not/],
    ['added_tokens that is not a list', (t) => void (t.added_tokens = 'x'), /"added_tokens" is not a list/],
    ['a normalizer with no list', (t) => void (t.normalizer = { type: 'Sequence', normalizers: null }), /"normalizer" is malformed/],
    ['a null root', () => null, /not a tokenizer\.json: the file is not a JSON object/],
    [
      'a vocabulary of 2^20 + 1 tokens',
      (_, m) => void (m.vocab = Object.fromEntries(Array.from({ length: 2 ** 20 + 1 }, (_, i) => [`t${i}`, i]))),
      /model\.vocab has 1048577 tokens; trit reads at most 1048576/,
    ],
    [
      'a vocabulary of 200,000 tokens (once a stack overflow)',
      (_, m) => void (m.vocab = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`t${i}`, i]))),
      /the tokenizer has 200000 tokens but the model's output has 64/,
    ],
  ];
  for (const [what, edit, expect] of tokenizerCases)
    add(
      `tokenizer.json with ${what}`,
      { 'm.onnx': a.lmOnnx, 't.json': tokenizerWith(a, edit) },
      ['compile', '{}/m.onnx', '--target', 'wasm', '--tokenizer', '{}/t.json', '-o', '{}/o.wasm'],
      expect,
    );
  const golden = (header: unknown) => ({ 'm.onnx': a.lmOnnx, 'g.safetensors': withHeader(header) });
  add('golden: null header', golden(null), ['verify', '{}/m.onnx', '--golden', '{}/g.safetensors'], /header is not a JSON object/);
  add(
    'golden: a null entry',
    golden({ 'output.logits': null }),
    ['verify', '{}/m.onnx', '--golden', '{}/g.safetensors'],
    /the header entry is not an object/,
  );
  add(
    'golden: data_offsets a number',
    golden({ 'output.logits': { dtype: 'F32', shape: [1, 1], data_offsets: 4 } }),
    ['verify', '{}/m.onnx', '--golden', '{}/g.safetensors'],
    /data offsets \[undefined, undefined\] do not fit/,
  );
  add(
    'golden: dtype "constructor"',
    golden({ 'output.logits': { dtype: 'constructor', shape: [1], data_offsets: [0, 0] } }),
    ['verify', '{}/m.onnx', '--golden', '{}/g.safetensors'],
    /dtype "constructor" is not supported/,
  );
  const metaCases: [string, unknown, RegExp][] = [
    ['inputs null', { ...meta, inputs: null }, /inputs is not a list of tensors/],
    ['a negative offset', { ...meta, inputs: [{ ...(meta.inputs as object[])[0], offset: -64 }] }, /lie outside the memory/],
    ['a wrong shape', { ...meta, outputs: [{ ...(meta.outputs as object[])[0], shape: [1, -3] }] }, /shape \[1,-3\]/],
    ['pages 1', { ...meta, pages: 1 }, /pages 1 but the module imports a memory of/],
    ['no tritVersion', { ...meta, tritVersion: undefined }, /compiled by trit undefined/],
    ['sizes missing', { ...meta, sizes: undefined }, /sizes is not four byte counts/],
  ];
  for (const [what, m, expect] of metaCases) {
    add(`.wasm metadata with ${what} (inspect)`, { 'm.wasm': wasmMeta(m) }, ['inspect', '{}/m.wasm'], expect);
    add(`.wasm metadata with ${what} (run)`, { 'm.wasm': wasmMeta(m) }, runWasm, expect);
  }
  const plain = { ...meta, tokenizer: undefined };
  add('.wasm with a start function', { 'm.wasm': forgedModule(plain, 'ok', true) }, runWasm, /declares a start function/);
  add(
    '.wasm with its own memory',
    { 'm.wasm': forgeWasm(a.lmWasm, {}, [new Uint8Array([5, 3, 1, 0, 1])], 2) },
    runWasm,
    /declares its own memory|rejected/,
  );
  add('.wasm that traps in a step', { 'm.wasm': forgedModule(plain, 'trap') }, runWasm, /the module trapped: unreachable/);
  add(
    '.wasm that imports more than its memory',
    { 'm.wasm': forgeWasm(a.lmWasm, {}, [new Uint8Array([2, 13, 1, 3, ...enc('env'), 5, ...enc('abort'), 0, 0])], 2) },
    runWasm,
    /rejected|imports/,
  );
  add(
    'IDX header claiming 255 dimensions',
    {
      'm.wasm': a.classifierWasm,
      mnist: { dir: { 't10k-images-idx3-ubyte': new Uint8Array([0, 0, 8, 255, 0, 0, 0, 1]), 't10k-labels-idx1-ubyte.gz': a.idxLabels } },
    },
    ['run', '{}/m.wasm', '--mnist', '{}/mnist'],
    /claims 255 dimensions in 8 bytes/,
  );

  // 4. Hangs
  add('.wasm whose step loops forever', { 'm.wasm': forgedModule(plain, 'loop') }, [...runWasm, '--timeout', '1'], /ran past 1 s and was stopped/);

  // 5. Outputs
  add(
    '-o a symlink to /dev/null',
    { 'm.onnx': a.lmOnnx, out: { symlink: '/dev/null' } },
    ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/out'],
    /the output path is a symlink \(to \/dev\/null\)/,
  );
  add(
    '-o a FIFO',
    { 'm.onnx': a.lmOnnx, out: { fifo: true } },
    ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/out'],
    /the output path is a named pipe/,
  );
  add(
    '-o a directory',
    { 'm.onnx': a.lmOnnx, out: { dir: {} } },
    ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/out'],
    /the output path is a directory/,
  );
  add(
    '--ir to /dev/zero',
    { 'm.onnx': a.lmOnnx, ir: { symlink: '/dev/zero' } },
    ['inspect', '{}/m.onnx', '--ir', '{}/ir'],
    /the output path is a symlink/,
  );

  // 7. Messages
  add(
    'node names with escape sequences',
    {
      'm.onnx': graph((b) => {
        const x = b.input('x', [1, 4]);
        b.nodes.push({ opType: 'Relu', input: ['\u001b[2J\u001b[31mmissing'], output: ['y'], name: '\u001b]0;owned\u0007' });
        b.output('y', [1, 4]);
        void x;
      }),
    },
    ['inspect', '{}/m.onnx'],
    /node '\\x1b\]0;owned\\x07'.*'\\x1b\[2J\\x1b\[31mmissing' is not defined/,
  );
  add(
    'a .wasm whose model name holds escape sequences',
    { 'm.wasm': wasmMeta({ ...meta, model: '\u001b[31mred' }) },
    ['inspect', '{}/m.wasm'],
    /: \\x1b\[31mred \(lm\)/,
    'accepted',
  );
  add(
    'keepdims given as a string',
    { 'm.onnx': graph((b) => b.output(b.op('ReduceSum', [b.input('x', [1, 4])], { keepdims: 'x' }), null)) },
    ['inspect', '{}/m.onnx'],
    /attribute 'keepdims' is a STRING; ONNX defines it as an INT/,
  );
  add(
    'a constant of 1e30',
    { 'm.onnx': graph((b) => b.output(b.op('Mul', [b.input('x', [1, 4]), b.scalar(1e30)]), [1, 4])) },
    ['inspect', '{}/m.onnx'],
    /m\.onnx, node 'Mul_\d+': a value here needs 2\^77 scale/,
  );
  add(
    'a division by a zero constant',
    { 'm.onnx': graph((b) => b.output(b.op('Div', [b.input('x', [1, 4]), b.scalar(0)]), [1, 4])) },
    ['inspect', '{}/m.onnx'],
    /needs infinite scale/,
  );
  add(
    'a Div with one input (fuzz onnx:5:41)',
    {
      'm.onnx': graph((b) => {
        b.nodes.push({ opType: 'Div', input: [b.input('x', [1, 4])], output: ['y'], name: 'div1' });
        b.output('y', [1, 4]);
      }),
    },
    ['inspect', '{}/m.onnx'],
    /node 'div1': Div takes at least 2 inputs, got 1/,
  );
  add(
    'a node that defines a tensor a second time (fuzz onnx:1:1047)',
    {
      'm.onnx': graph((b) => {
        const x = b.input('x', [1, 4]);
        b.nodes.push({ opType: 'Relu', input: [x], output: ['y'], name: 'first' });
        b.nodes.push({ opType: 'Neg', input: [x], output: ['y'], name: 'dup' });
        b.output('y', [1, 4]);
      }),
    },
    ['inspect', '{}/m.onnx'],
    /node 'dup', tensor 'y': tensor 'y' is defined twice/,
  );
  add(
    'an output listed twice',
    {
      'm.onnx': graph((b) => {
        b.output(b.op('Relu', [b.input('x', [1, 4])], {}, 'y'), [1, 4]);
        b.output('y', [1, 4]);
      }),
    },
    ['inspect', '{}/m.onnx'],
    /output 'y' is listed twice/,
  );
  add(
    'NaN in calibration inputs',
    { 'm.onnx': a.lmOnnx, 'c.safetensors': nanInputs() },
    ['inspect', '{}/m.onnx', '--calibration', '{}/c.safetensors'],
    /holds NaN at element 0/,
  );
  return cases;
}

/** A calibration file whose first input value is NaN. */
function nanInputs(): Uint8Array {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat32(0, NaN, true);
  new DataView(data.buffer).setFloat32(4, 1, true);
  return withHeader({ 'input.input_ids': { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] } }, data);
}
