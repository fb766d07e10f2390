/**
 * @fileoverview The runtime API: load a compiled .wasm and run it — shaped like onnxruntime's
 * InferenceSession (`load`, `inputNames`, `run(feeds)`), plus `step`/`generate` for language
 * models and `classify` for classifiers.
 *
 * Browser-safe: Node built-ins are imported lazily, only when a path is given or Node workers
 * are started. One .wasm serves one thread or many: the host patches the memory import to
 * shared before compiling when it starts workers.
 */
import { budget } from '../../common/budget.js';
import { TritError } from '../../common/errors.js';
import { VERSION } from '../../common/version.js';
import { importedMemory, readCustom, setSharedFlagInPlace } from './binary.js';
import { notWasm, openModule, type OpenModule, type Source } from './load.js';
import { checkMetaShape } from './meta-check.js';
import { checkInterface, checkSections, guarded } from './untrusted.js';
import { compatible, META_SECTION, TOKENIZER_SECTION, WASM_FORMAT, type ModelExports, type TensorSlot, type WasmMeta } from './format.js';
import { rng, sample, type SampleOptions } from './sampling.js';
import { byteTokenizer, charTokenizer, type Tokenizer } from './tokenizer.js';
import { importNode, isNode } from './node.js';
import { ThreadTuner } from './tuner.js';

// Every type a user of the runtime meets, from one entry point.
export type { WasmMeta, TensorSlot, TokenizerFormat } from './format.js';
export type { SampleOptions } from './sampling.js';
export { TritError } from '../../common/errors.js';
export { VERSION } from '../../common/version.js';

export interface LoadOptions {
  /** Threads sharing the matrix work (1 = this thread only). Default 1. */
  threads?: number;
  /** With threads > 1: each step uses all of them or one, whichever has been faster lately
   *  (measured as it runs; results are the same either way), so a busy machine does not make
   *  threads slower than one (tuner.ts). Default true; false always uses every thread. */
  adaptiveThreads?: boolean;
  /** For messages: where the bytes came from. */
  name?: string;
  /** Use shared memory (default: wherever it exists). false = one thread, plain memory — what a
   *  browser page without cross-origin isolation gets. */
  sharedMemory?: boolean;
  /** The thread worker script (runtime-wasm/host/worker.js), when a bundler moved it; default:
   *  `worker.js` beside this module. */
  workerUrl?: string | URL;
  /** Runs every call into the module (each step, reset); a host can bound its time with it — the
   *  CLI passes a watchdog (cli/watchdog.ts). A module is code from a file: it can loop. */
  guard?: <T>(call: () => T) => T;
}

export interface GenerateOptions extends SampleOptions {
  maxTokens?: number;
  seed?: number;
  /** Called with each new token as it is produced (streaming): the text it adds (empty while a
   *  character's UTF-8 bytes are still arriving in byte tokens). */
  onToken?: (text: string, id: number) => void;
  /** Stop at the tokenizer's end-of-sequence token (default true; only tokenizers that have one). */
  stopAtEos?: boolean;
}

export interface GenerateResult {
  text: string;
  tokens: number[];
  promptTokens: number;
  /** Generated tokens per second (decode only, prompt excluded). */
  tokensPerSecond: number;
  /** Prompt tokens per second (prefill). */
  prefillTokensPerSecond: number;
  seconds: number;
}

export interface Classification {
  label: number;
  name: string;
  scores: Float32Array;
}

export type { Source } from './load.js';

const now = () => (globalThis.performance ?? Date).now();

/** Reads the metadata of a .wasm without instantiating it (and checks it is a usable trit model). */
export function readMeta(bytes: Uint8Array, name = 'model.wasm'): WasmMeta {
  let raw: Uint8Array | null;
  let pages = 0;
  try {
    raw = readCustom(bytes, META_SECTION);
    if (raw) pages = importedMemory(bytes).pages;
  } catch (e) {
    throw notWasm(e, name);
  }
  if (!raw)
    throw new TritError(
      `no '${META_SECTION}' section: not a model compiled by trit`,
      { file: name },
      'compile the ONNX model with `trit compile <model.onnx> --target wasm`',
    );
  return checkMeta(raw, pages, name);
}

/** Parses the metadata section and checks this runtime can run what it describes. */
function checkMeta(raw: Uint8Array, importPages: number, name: string): WasmMeta {
  let meta: WasmMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(raw)) as WasmMeta;
  } catch {
    throw new TritError(`the '${META_SECTION}' section is corrupt`, { file: name }, 'recompile the model');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    throw new TritError(`the '${META_SECTION}' section is not an object`, { file: name }, 'the file is corrupt; compile the model again');
  const version = typeof meta.tritVersion === 'string' ? meta.tritVersion : String(JSON.stringify(meta.tritVersion));
  if (meta.format !== WASM_FORMAT || !compatible(version, VERSION)) {
    throw new TritError(
      `compiled by trit ${version} (format ${meta.format}); this runtime is trit ${VERSION} (format ${WASM_FORMAT})`,
      { file: name },
      'recompile the ONNX model with this version of trit',
    );
  }
  checkMetaShape(meta, importPages, name);
  return meta;
}

interface Pool {
  workers: { terminate(): unknown }[];
  n: number;
}

function rejected(e: unknown, meta: WasmMeta | null, name: string): TritError {
  return new TritError(
    `the engine rejected the module: ${(e as Error).message}`,
    { file: name },
    meta?.simd === 'relaxed'
      ? 'this build uses relaxed SIMD, which this engine does not enable; compile with --simd fixed'
      : 'recompile the model; the file may be corrupt',
  );
}

/** A loaded model. */
export class TritSession {
  readonly meta: WasmMeta;
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Threads sharing the matrix work: what was asked for, or fewer (see threadsNote). */
  readonly threads: number;
  /** Why `threads` is fewer than asked for, when it is. */
  readonly threadsNote?: string;
  private readonly ex: ModelExports;
  private readonly mem: WebAssembly.Memory;
  private pool: Pool | null;
  private tok: Tokenizer | null = null;
  /** Thread counts chosen by measurement, one tuner per kind of step (null: always `threads`). */
  private readonly tuners: { run: ThreadTuner; advance: ThreadTuner } | null;

  private constructor(
    meta: WasmMeta,
    ex: ModelExports,
    mem: WebAssembly.Memory,
    pool: Pool | null,
    adaptive: boolean,
    threadsNote?: string,
    carried?: Tokenizer,
  ) {
    this.meta = meta;
    this.tok = carried ?? null;
    this.ex = ex;
    this.mem = mem;
    this.pool = pool;
    this.threads = pool ? pool.n : 1;
    this.threadsNote = threadsNote;
    this.tuners = pool && adaptive ? { run: new ThreadTuner(pool.n), advance: new ThreadTuner(pool.n) } : null;
    this.inputNames = meta.inputs.map((i) => i.name);
    this.outputNames = meta.outputs.map((o) => o.name);
  }

  /** Loads a .wasm from bytes, a URL or (in Node) a path. */
  static async create(src: Source, opts: LoadOptions = {}): Promise<TritSession> {
    const want = Math.max(1, Math.floor(opts.threads ?? 1));
    const canShare =
      opts.sharedMemory !== false &&
      typeof SharedArrayBuffer === 'function' &&
      (isNode() || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true);
    const file = await openModule(src, opts.name);
    try {
      return await TritSession.load(file, want, canShare, opts);
    } finally {
      file.close();
    }
  }

  private static async load(file: OpenModule, want: number, canShare: boolean, opts: LoadOptions): Promise<TritSession> {
    const { name } = file;
    let code = file.code;
    const meta = readMeta(code, name);
    // Fewer threads than asked when more cannot help: without shared memory (a page that is not
    // cross-origin isolated), beyond the model's most (meta.maxThreads), or when no matrix is large
    // enough to share (the workers would have nothing to do, and the memory would be shared —
    // committed up front — for nothing).
    let threads = Math.min(want, meta.maxThreads);
    let threadsNote: string | undefined;
    if (want > 1 && !canShare) {
      threads = 1;
      threadsNote =
        opts.sharedMemory === false
          ? 'shared memory was turned off'
          : 'no SharedArrayBuffer here (a page must be cross-origin isolated: COOP/COEP headers)';
    } else if (want > 1 && meta.threading && meta.threading.shared === 0) {
      threads = 1;
      threadsNote = `none of the model's ${meta.threading.matrices} matrices reaches the ${meta.threading.minWeights.toLocaleString('en-US')} weights worth sharing between threads`;
    } else if (want > threads) {
      threadsNote = `this model runs at most ${meta.maxThreads} threads (its matrices are cut into at most 16 chunks)`;
    }
    // Shared memory only when threads need it: engines commit a shared memory's pages up front,
    // a plain one as they are touched. The file declares its memory shared; the flag is one byte,
    // flipped in place in a buffer we read ourselves (a copy when the caller's bytes), so a big
    // model's bytes are held once beside the engine's own copy, not twice.
    const shared = threads > 1;
    // The carried tokenizer is parsed now (its parser is a separate, lazily imported module).
    let carried: Tokenizer | undefined;
    if (meta.tokenizer) {
      const carriedFile = readCustom(code, TOKENIZER_SECTION);
      if (!carriedFile)
        throw new TritError(
          `the metadata names a tokenizer (${meta.tokenizer.file}) but the module does not carry it`,
          { file: name },
          'the file is corrupt; compile it again',
        );
      if (carriedFile.length > budget().textBytes)
        throw new TritError(
          `the tokenizer it carries is ${carriedFile.length} bytes, over the ${budget().textBytes}-byte budget`,
          { file: name },
          'the file is corrupt or forged',
        );
      const { parseCarriedTokenizer } = await import('./carried-tokenizer.js');
      carried = parseCarriedTokenizer(meta.tokenizer.format, carriedFile, `${name} (the ${meta.tokenizer.file} it carries)`);
      const V = meta.outputs.find((o) => o.name === meta.primary)?.shape.at(-1) ?? Infinity;
      if (carried.size > V)
        throw new TritError(
          `the tokenizer it carries (${meta.tokenizer.file}) has ${carried.size} tokens but the model only ${V}`,
          { file: name },
          'the tokenizer is from another model',
        );
    }
    if (importedMemory(code).shared !== shared) setSharedFlagInPlace(code, shared);
    checkSections(code, name);
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(code as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw rejected(e, meta, name);
    }
    checkInterface(module, name);
    code = new Uint8Array(0); // the engine has its own copy; let ours go before allocating memory
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: meta.pages, maximum: meta.pages, shared } as WebAssembly.MemoryDescriptor);
    } catch (e) {
      throw new TritError(`cannot allocate ${(meta.pages / 16).toFixed(0)} MiB of wasm memory: ${(e as Error).message}`, { file: name });
    }
    file.fill(memory); // the constants, straight from the file: the module never held them
    const inst = await WebAssembly.instantiate(module, { env: { memory } });
    const ex = guarded(inst.exports as unknown as ModelExports, name, opts.guard);
    const pool = threads > 1 ? await startPool(module, memory, meta.ctl, threads, opts.workerUrl) : null;
    const s = new TritSession(meta, ex, memory, pool, opts.adaptiveThreads !== false, threadsNote, carried);
    if (meta.simd === 'relaxed') s.selfTest();
    return s;
  }

  /**
   * A relaxed-SIMD build runs a determinism check on load: two runs from reset on the same input
   * must agree bit for bit. (Its only relaxed op, relaxed_swizzle, sees indices < 16, where it is
   * specified exactly; equality with the fixed build is what the tests check.)
   */
  private selfTest(): void {
    const feeds: Record<string, number[]> = {};
    for (const i of this.meta.inputs) feeds[i.name] = new Array(i.shape.reduce((a, b) => a * b, 1)).fill(0);
    this.reset();
    const a = this.run(feeds);
    this.reset();
    const b = this.run(feeds);
    this.reset();
    for (const k of Object.keys(a)) {
      const x = a[k],
        y = b[k];
      for (let i = 0; i < x.length; i++)
        if (!Object.is(x[i], y[i]))
          throw new TritError('relaxed-SIMD self-test failed on this engine', {}, 'use the fixed-SIMD build (--simd fixed)');
    }
  }

  /** Runs one inference / decode step; feeds by input name; returns copies of every output. */
  run(feeds: Record<string, ArrayLike<number>>): Record<string, Float32Array | Int32Array> {
    this.write(feeds);
    this.timed('run', (n) => this.ex.run(n));
    const out: Record<string, Float32Array | Int32Array> = {};
    for (const o of this.meta.outputs) out[o.name] = this.read(o);
    return out;
  }

  /** The single-input form of run: returns the first output. */
  forward(input: ArrayLike<number>): Float32Array | Int32Array {
    const name = this.inputNames[0];
    return this.run({ [name]: input })[this.meta.primary];
  }

  /** Threads the steps use now: `threads`, or one while one has been measured faster. */
  get threadsInUse(): number {
    return this.tuners?.run.current ?? this.threads;
  }

  /** One call into the module at the thread count the tuner picks, timed for it. */
  private timed(kind: 'run' | 'advance', call: (threads: number) => void): void {
    const t = this.tuners?.[kind];
    if (!t) return call(this.threads);
    const n = t.next(),
      t0 = performance.now();
    call(n);
    t.record(n, performance.now() - t0);
  }

  /** Zeroes the recurrent state (a new sequence). */
  reset(): void {
    this.ex.reset();
  }

  /** Language models: feeds one token, returns the next-token logits. */
  step(tokenId: number): Float32Array {
    const r = this.run({ [this.tokenInput().name]: [tokenId] });
    return r[this.meta.primary] as Float32Array;
  }

  /** Feeds tokens that need no logits (a prompt's prefix): skips the output head. */
  advance(tokenIds: number[]): void {
    const slot = this.tokenInput();
    for (const t of tokenIds) {
      this.write({ [slot.name]: [t] });
      this.timed('advance', (n) => this.ex.advance(n));
    }
  }

  /** Prompt in, logits of its last token out (the prefix goes through `advance`). */
  prefill(tokenIds: number[]): Float32Array {
    if (!tokenIds.length) throw new TritError('the prompt is empty');
    this.advance(tokenIds.slice(0, -1));
    return this.step(tokenIds[tokenIds.length - 1]);
  }

  /** The model's tokenizer: the one it carries (SentencePiece or tokenizer.json, parsed at
   *  load), else its character vocabulary, else bytes. */
  get tokenizer(): Tokenizer {
    if (!this.tok) {
      const V = this.primarySlot().shape.at(-1)!;
      this.tok = this.meta.vocab ? charTokenizer(this.meta.vocab) : byteTokenizer(V);
    }
    return this.tok;
  }

  /** Prompt text → ids as the model was trained to see them (with <s> first when its tokenizer
   *  adds one, as Llama/Mistral tokenizers do). */
  encodePrompt(prompt: string): number[] {
    const tk = this.tokenizer;
    const ids = tk.encode(prompt);
    if (this.meta.tokenizer?.addBos && tk.bos !== undefined && tk.bos >= 0) ids.unshift(tk.bos);
    return ids;
  }

  /** Generates text after `prompt` (from a fresh state), streaming tokens to onToken. */
  async generate(prompt: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
    return this.generateSync(prompt, opts);
  }

  /** generate, synchronously. */
  generateSync(prompt: string, opts: GenerateOptions = {}): GenerateResult {
    const tk = this.tokenizer;
    const ids = this.encodePrompt(prompt);
    const max = opts.maxTokens ?? 100;
    const rand = rng(opts.seed ?? 1);
    const eos = opts.stopAtEos !== false && tk.eos !== undefined && tk.eos >= 0 ? tk.eos : -1;
    this.reset();
    const t0 = now();
    let logits = this.prefill(ids);
    const t1 = now();
    const out: number[] = [];
    // Streamed text is what the generated ids add to the decoded prompt: SentencePiece decodes a
    // piece differently at the start of a text (its leading space is dropped), and a character
    // split into byte tokens is only complete once its last byte has come.
    const context = ids.slice(-8);
    const base = tk.decode(context).length;
    let shown = 0;
    for (let i = 0; i < max; i++) {
      const id = sample(logits, opts, rand);
      out.push(id);
      if (opts.onToken) {
        const text = tk.decode(context.concat(out)).slice(base);
        const pending = text.endsWith('\uFFFD') && i + 1 < max && id !== eos ? 1 : 0;
        opts.onToken(text.slice(shown, text.length - pending), id);
        shown = Math.max(shown, text.length - pending);
      }
      if (id === eos) break;
      if (i + 1 < max) logits = this.step(id);
    }
    const t2 = now();
    return {
      text: tk.decode(context.concat(out)).slice(base),
      tokens: out,
      promptTokens: ids.length,
      tokensPerSecond: out.length > 1 ? ((out.length - 1) * 1000) / (t2 - t1) : 0,
      prefillTokensPerSecond: (ids.length * 1000) / Math.max(t1 - t0, 1e-6),
      seconds: (t2 - t0) / 1000,
    };
  }

  /** Classifiers: an image (Uint8 pixels 0–255, or floats as the model expects) → label. */
  classify(image: ArrayLike<number>): Classification {
    const inp = this.meta.inputs[0];
    const n = inp.shape.reduce((a, b) => a * b, 1);
    if (image.length !== n)
      throw new TritError(`the image has ${image.length} values; the model takes ${n} (shape [${inp.shape}])`, { tensor: inp.name });
    const x = image instanceof Uint8Array || image instanceof Uint8ClampedArray ? Float32Array.from(image, (v) => v / 255) : image;
    const scores = this.forward(x);
    let label = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[label]) label = i;
    return { label, name: this.meta.classes?.[label] ?? String(label), scores: Float32Array.from(scores) };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    if (!this.pool) return;
    this.ex.stop(this.pool.n);
    await Promise.all(this.pool.workers.map((w) => w.terminate()));
    this.pool = null;
  }

  /** Bytes of wasm memory this model uses. */
  get memoryBytes(): number {
    return this.mem.buffer.byteLength;
  }

  private tokenInput(): TensorSlot {
    const s = this.meta.inputs.find((i) => i.storage === 'i32');
    if (!s) throw new TritError('this model takes no token ids (not a language model)');
    return s;
  }

  private write(feeds: Record<string, ArrayLike<number>>): void {
    for (const slot of this.meta.inputs) {
      const v = feeds[slot.name];
      if (!v) throw new TritError(`missing input '${slot.name}'`, { tensor: slot.name }, `inputs: ${this.inputNames.join(', ')}`);
      const n = slot.shape.reduce((a, b) => a * b, 1);
      if (v.length !== n)
        throw new TritError(`input '${slot.name}' has ${v.length} elements; expected ${n} (shape [${slot.shape}])`, { tensor: slot.name });
      if (slot.storage === 'f32') {
        const dst = new Float32Array(this.mem.buffer, slot.offset, n);
        for (let i = 0; i < n; i++) {
          if (!Number.isFinite(v[i])) throw new TritError(`input '${slot.name}' holds ${v[i]} at ${i}`, { tensor: slot.name });
          dst[i] = v[i];
        }
      } else {
        const dst = new Int32Array(this.mem.buffer, slot.offset, n);
        const limit = this.idLimit(slot);
        for (let i = 0; i < n; i++) {
          const x = v[i];
          if (!Number.isInteger(x) || x < 0 || x >= limit) {
            throw new TritError(`input '${slot.name}' holds ${x}; token ids must be integers in [0, ${limit})`, { tensor: slot.name });
          }
          dst[i] = x;
        }
      }
    }
  }

  /** Integer inputs are token ids: bounded by the vocabulary (the logits' width). */
  private idLimit(slot: TensorSlot): number {
    if (slot.limit !== undefined) return slot.limit;
    return this.primarySlot().shape.at(-1) ?? 2 ** 31 - 1;
  }

  private primarySlot(): TensorSlot {
    return this.meta.outputs.find((o) => o.name === this.meta.primary) ?? this.meta.outputs[0];
  }

  private read(o: TensorSlot): Float32Array | Int32Array {
    const n = o.shape.reduce((a, b) => a * b, 1);
    return o.storage === 'f32' ? new Float32Array(this.mem.buffer, o.offset, n).slice() : new Int32Array(this.mem.buffer, o.offset, n).slice();
  }
}

/** Starts n−1 workers on the shared memory; resolves once every one is inside its loop. */
async function startPool(module: WebAssembly.Module, memory: WebAssembly.Memory, ctl: number, n: number, workerUrl?: string | URL): Promise<Pool> {
  const seen = Atomics.load(new Int32Array(memory.buffer, ctl, 1), 0);
  let url =
    workerUrl !== undefined
      ? new URL(workerUrl, (globalThis as { location?: { href: string } }).location?.href ?? import.meta.url)
      : new URL('./worker.js', import.meta.url);
  if (isNode() && workerUrl === undefined) {
    // Running from the TypeScript sources (tests): the compiled worker lives in dist/.
    const { existsSync } = await importNode<typeof import('node:fs')>('fs');
    if (!existsSync(url)) url = new URL('../../dist/runtime-wasm/host/worker.js', import.meta.url);
  }
  const workers: { terminate(): unknown }[] = [];
  const ready: Promise<void>[] = [];
  for (let tid = 1; tid < n; tid++) {
    const msg = { module, memory, tid, nthreads: n, seen };
    if (isNode()) {
      const { Worker } = await importNode<typeof import('node:worker_threads')>('worker_threads');
      const w = new Worker(url);
      ready.push(
        new Promise((res, rej) => {
          w.once('message', () => res());
          w.once('error', rej);
        }),
      );
      w.postMessage(msg);
      workers.push(w);
    } else {
      const w = new Worker(url, { type: 'module' });
      ready.push(
        new Promise((res, rej) => {
          w.onmessage = () => res();
          w.onerror = (e) => rej(e);
        }),
      );
      w.postMessage(msg);
      workers.push(w);
    }
  }
  await Promise.all(ready);
  return { workers, n };
}

/** Loads a compiled model: `const s = await load('model.wasm')`. */
export function load(src: Source, opts?: LoadOptions): Promise<TritSession> {
  return TritSession.create(src, opts);
}
