/**
 * @fileoverview The text-generation page: the zoo LM compiled to wasm, streaming tokens from the
 * model worker, with tokens/s, the threads in use and the per-token operation counts.
 */
import { ModelClient } from './client.js';
import {
  $,
  clearError,
  expose,
  fmtInt,
  fmtRate,
  isolationNote,
  opsSummary,
  setState,
  showError,
  threadsNote,
  threadSelect,
  wantedThreads,
} from './common.js';
import type { Loaded, SampleSettings } from './protocol.js';
import { LM_MODEL } from './site-config.js';

const client = new ModelClient();
const params = new URLSearchParams(location.search);
const els = {
  prompt: $<HTMLTextAreaElement>('#prompt'),
  maxTokens: $<HTMLInputElement>('#max-tokens'),
  temperature: $<HTMLInputElement>('#temperature'),
  topK: $<HTMLInputElement>('#top-k'),
  seed: $<HTMLInputElement>('#seed'),
  threads: $<HTMLSelectElement>('#threads'),
  go: $<HTMLButtonElement>('#generate'),
  promptOut: $('#out-prompt'),
  generated: $('#generated'),
  rate: $('#rate'),
  ops: $('#ops'),
};
let loaded: Loaded | null = null;
/** ?model=path serves another compiled LM from this site (the tests use it for a build whose
 *  matrices are all shared between threads). */
const modelFile = params.get('model') ?? LM_MODEL.file;

// Settings may come in the address (?prompt=…&seed=…): a run can be linked to.
for (const [key, el] of [
  ['prompt', els.prompt],
  ['max-tokens', els.maxTokens],
  ['temperature', els.temperature],
  ['top-k', els.topK],
  ['seed', els.seed],
] as const) {
  const v = params.get(key);
  if (v !== null) el.value = v;
}
$('#model-about').textContent = modelFile === LM_MODEL.file ? LM_MODEL.about : modelFile;

async function loadModel(threads: number): Promise<void> {
  els.go.disabled = true;
  setState('loading', `loading ${modelFile} on ${threads} thread${threads > 1 ? 's' : ''}…`);
  try {
    loaded = await client.load(modelFile, modelFile, threads);
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  threadSelect(els.threads, loaded.threads);
  isolationNote($('#isolation'), loaded);
  els.ops.textContent = opsSummary(loaded.meta.stats, 'token');
  $('#threads-note').textContent = threadsNote(loaded);
  expose({ loaded });
  els.go.disabled = false;
  setState('ready', `ready: ${(loaded.memoryBytes / 2 ** 20).toFixed(2)} MiB of wasm memory, loaded in ${fmtInt(loaded.loadMs)} ms`);
}

function settings(): SampleSettings | string {
  const int = (el: HTMLInputElement, name: string, min: number, max: number) => {
    const v = Number(el.value);
    return Number.isInteger(v) && v >= min && v <= max ? v : `${name} must be an integer in [${min}, ${max}]`;
  };
  const maxTokens = int(els.maxTokens, 'max tokens', 1, 100_000),
    seed = int(els.seed, 'seed', 0, 2 ** 32 - 1),
    topK = int(els.topK, 'top-k', 0, 1_000_000);
  const temperature = Number(els.temperature.value);
  for (const v of [maxTokens, seed, topK]) if (typeof v === 'string') return v;
  if (!(temperature >= 0 && temperature <= 10)) return 'temperature must be a number in [0, 10] (0 = greedy)';
  return { maxTokens: maxTokens as number, seed: seed as number, temperature, topK: topK as number };
}

async function generate(): Promise<void> {
  clearError();
  const s = settings();
  if (typeof s === 'string') {
    showError(s);
    return;
  }
  const prompt = els.prompt.value;
  els.go.disabled = true;
  els.threads.disabled = true;
  els.promptOut.textContent = prompt;
  els.generated.textContent = '';
  setState('running', 'generating…');
  let n = 0,
    streamed = '';
  const t0 = performance.now(); // the live figure includes the prompt; the final one is the runtime's decode rate
  try {
    const r = await client.generate(prompt, s, (text, ids) => {
      n += ids.length;
      streamed += text;
      els.generated.textContent += text;
      els.rate.textContent = `${fmtRate((n * 1000) / (performance.now() - t0))} tokens/s so far · ${loaded!.threads} thread${loaded!.threads > 1 ? 's' : ''}`;
    });
    els.generated.textContent = r.text; // the same text, assembled by the tokenizer in one piece
    els.rate.textContent =
      `${fmtRate(r.tokensPerSecond)} tokens/s decode, ${fmtRate(r.prefillTokensPerSecond)} tokens/s prompt · ` +
      `${r.tokens.length} tokens in ${r.seconds.toFixed(2)} s · ${loaded!.threads} thread${loaded!.threads > 1 ? 's' : ''}`;
    expose({ generated: r, streamed, threads: loaded!.threads });
    setState('done', 'done');
  } catch (e) {
    showError((e as Error).message);
  } finally {
    els.go.disabled = false;
    els.threads.disabled = !globalThis.crossOriginIsolated;
  }
}

els.go.addEventListener('click', () => void generate());
els.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void generate();
});
els.threads.addEventListener('change', () => void loadModel(Number(els.threads.value)));
isolationNote($('#isolation'));
const first = wantedThreads();
threadSelect(els.threads, first);
void loadModel(first).then(() => {
  if (params.get('run') === '1' && document.body.dataset.state === 'ready') void generate();
});
