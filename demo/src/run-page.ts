/**
 * @fileoverview "Your model": drop a compiled .wasm (or an ONNX file, compiled here in the page)
 * and run it. Bad files get the runtime's or the compiler's message, naming the file.
 */
import { ModelClient } from './client.js';
import { $, clearError, expose, fmtInt, fmtRate, isolationNote, opsSummary, setState, showError, threadsNote, wantedThreads } from './common.js';
import type { Loaded } from './protocol.js';

const client = new ModelClient();
const zone = $('#drop');
const picker = $<HTMLInputElement>('#file');
let loaded: Loaded | null = null;
let download: string | null = null;

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const isWasm = (b: Uint8Array) => WASM_MAGIC.every((x, i) => b[i] === x);

async function readVocab(f: File): Promise<string[]> {
  let v: unknown;
  try {
    v = JSON.parse(await f.text());
  } catch (e) {
    throw new Error(`${f.name}: not valid JSON (${(e as Error).message})\n  hint: a vocab.json is a JSON array of strings, one per token id`);
  }
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw new Error(`${f.name}: not a JSON array of strings\n  hint: a vocab.json is a JSON array of strings, one per token id`);
  return v as string[];
}

async function take(files: File[]): Promise<void> {
  clearError();
  setState('loading', 'reading the dropped file…'); // a new state at once: the last one may have been 'error'
  $('#model-info').hidden = true;
  $('#lm').hidden = true;
  $('#classifier').hidden = true;
  if (!files.length) {
    showError('nothing was dropped: drop a .wasm compiled by `trit compile --target wasm`, or an .onnx file');
    return;
  }
  const onnx = files.find((f) => /\.onnx$/i.test(f.name));
  const vocabFile = files.find((f) => /\.json$/i.test(f.name));
  const main = onnx ?? files.find((f) => !/\.json$/i.test(f.name)) ?? files[0];
  $('#file-name').textContent = `${main.name} (${fmtInt(main.size)} bytes)`;
  const bytes = await main.arrayBuffer();
  try {
    let wasm: ArrayBuffer;
    if (onnx && !isWasm(new Uint8Array(bytes))) {
      const vocab = vocabFile ? await readVocab(vocabFile) : undefined;
      setState('running', `compiling ${main.name} in the page…`);
      const progress = $<HTMLProgressElement>('#progress');
      progress.hidden = false;
      const c = await client.compile(bytes, main.name, vocab, (stage, done, total) => {
        progress.value = total ? done / total : 0;
        $('#status').textContent = `compiling ${main.name}: ${stage} ${total > 1 ? `${done}/${total}` : ''}`;
      });
      progress.hidden = true;
      if (download) URL.revokeObjectURL(download);
      download = URL.createObjectURL(new Blob([c.wasm], { type: 'application/wasm' }));
      const a = $<HTMLAnchorElement>('#download');
      a.href = download;
      a.download = main.name.replace(/\.onnx$/i, '') + '.wasm';
      a.hidden = false;
      $('#compile-summary').textContent = `compiled in ${c.seconds.toFixed(1)} s: ${c.summary.join('; ')}`;
      wasm = c.wasm;
    } else {
      $<HTMLAnchorElement>('#download').hidden = true;
      $('#compile-summary').textContent = '';
      wasm = bytes;
    }
    setState('loading', `loading ${main.name}…`);
    loaded = await client.load(wasm, main.name, wantedThreads());
  } catch (e) {
    $<HTMLProgressElement>('#progress').hidden = true;
    showError((e as Error).message);
    return;
  }
  show(loaded, main.name);
}

function show(l: Loaded, name: string): void {
  const m = l.meta;
  const shape = (s: { name: string; shape: number[]; dtype: string }) => `${s.name} [${s.shape.join('×')}] ${s.dtype}`;
  $('#model-info').hidden = false;
  $('#meta').innerHTML = '';
  const rows: [string, string][] = [
    ['file', name],
    ['model', `${m.model} (${m.kind}), compiled by trit ${m.tritVersion}, ${m.simd} SIMD`],
    ['inputs', m.inputs.map(shape).join(', ')],
    ['outputs', m.outputs.map(shape).join(', ')],
    ['memory', `${(l.memoryBytes / 2 ** 20).toFixed(2)} MiB (${fmtInt(m.sizes.weights)} B of 2-bit weights)`],
    ['threads', threadsNote(l)],
    ['operations', opsSummary(m.stats, m.kind === 'lm' ? 'token' : 'inference')],
  ];
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    tr.innerHTML = '<th></th><td></td>';
    tr.children[0].textContent = k;
    tr.children[1].textContent = v;
    $('#meta').append(tr);
  }
  isolationNote($('#isolation'), l);
  $('#lm').hidden = m.kind !== 'lm';
  $('#classifier').hidden = m.kind === 'lm';
  expose({ loaded: l });
  setState('ready', `loaded ${name}`);
}

$('#lm-go').addEventListener('click', async () => {
  clearError();
  const out = $('#lm-generated');
  const prompt = $<HTMLInputElement>('#lm-prompt').value;
  $('#lm-prompt-out').textContent = prompt;
  out.textContent = '';
  setState('running', 'generating…');
  try {
    const r = await client.generate(
      prompt,
      { maxTokens: Number($<HTMLInputElement>('#lm-max').value) || 100, seed: 1, temperature: 0.8, topK: 0 },
      (t) => {
        out.textContent += t;
      },
    );
    out.textContent = r.text;
    $('#lm-rate').textContent = `${fmtRate(r.tokensPerSecond)} tokens/s decode · ${r.tokens.length} tokens · seed 1, temperature 0.8`;
    setState('done', 'done');
  } catch (e) {
    showError((e as Error).message);
  }
});

$('#cls-go').addEventListener('click', async () => {
  clearError();
  if (!loaded) return;
  const n = loaded.meta.inputs[0].shape.reduce((a, b) => a * b, 1);
  // A seeded pseudo-random image: shows the model runs; draw on the Digits page for a real one.
  setState('running', 'classifying…');
  let s = 1;
  const img = Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  try {
    const r = await client.classify(img);
    $('#cls-out').textContent = `label ${r.name}; scores ${r.scores.map((v) => v.toFixed(3)).join(', ')} (${r.ms.toFixed(2)} ms)`;
    setState('done', 'done');
  } catch (e) {
    showError((e as Error).message);
  }
});

zone.addEventListener('dragover', (e) => {
  e.preventDefault();
  zone.classList.add('over');
});
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  void take(Array.from(e.dataTransfer?.files ?? []));
});
zone.addEventListener('click', () => picker.click());
picker.addEventListener('change', () => void take(Array.from(picker.files ?? [])));
// A file dropped anywhere else would make the browser navigate away to it.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
isolationNote($('#isolation'));
setState('ready', 'drop a model');
