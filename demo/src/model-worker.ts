/**
 * @fileoverview The demo's model worker: holds one TritSession and answers the page's requests
 * (protocol.ts). Decoding runs here, off the page's thread; the session's own matrix-work threads
 * (runtime-wasm/host/worker.js) are started from here when the page is cross-origin isolated.
 */
import { load, type TritSession } from '../../runtime-wasm/host/session.js';
import { TritError } from '../../common/errors.js';
import type { Reply, Request } from './protocol.js';

interface WorkerScope {
  postMessage(m: Reply, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  crossOriginIsolated?: boolean;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: Reply, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

let session: TritSession | null = null;
/** Streamed tokens are sent at most once per frame. */
const FRAME_MS = 16;
/** Requests run one at a time, in order: a session is not re-entrant. */
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (e) => {
  const req = e.data;
  queue = queue.then(() => handle(req).catch((err) => post({ type: 'error', id: req.id, message: describe(err) })));
};

/** A message fit for the page: TritErrors already name the file and say what to do. */
function describe(err: unknown): string {
  if (err instanceof TritError) return err.message;
  if (err instanceof Error) return `internal error (a bug in trit, please report it): ${err.message}`;
  return String(err);
}

function loadedSession(): TritSession {
  if (!session) throw new TritError('no model is loaded', {}, 'load a model first');
  return session;
}

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case 'load': {
      if (session) {
        await session.close();
        session = null;
      }
      const t0 = performance.now();
      const src = typeof req.source === 'string' ? req.source : new Uint8Array(req.source);
      session = await load(src, { threads: req.threads, name: req.name, workerUrl: new URL('./worker.js', import.meta.url) });
      const { values: _values, ...meta } = session.meta;
      post({
        type: 'loaded',
        id: req.id,
        result: {
          meta,
          threads: session.threads,
          requestedThreads: req.threads,
          threadsNote: session.threadsNote,
          crossOriginIsolated: scope.crossOriginIsolated === true,
          memoryBytes: session.memoryBytes,
          loadMs: performance.now() - t0,
        },
      });
      return;
    }
    case 'generate': {
      const s = loadedSession();
      const { maxTokens, seed, temperature, topK } = req.settings;
      let text = '',
        ids: number[] = [],
        last = performance.now();
      const flush = () => {
        if (ids.length) post({ type: 'tokens', id: req.id, text, tokenIds: ids });
        [text, ids, last] = ['', [], performance.now()];
      };
      const r = s.generateSync(req.prompt, {
        maxTokens,
        seed,
        temperature,
        topK,
        onToken: (t, tokenId) => {
          text += t;
          ids.push(tokenId);
          if (performance.now() - last >= FRAME_MS) flush();
        },
      });
      flush();
      post({ type: 'generated', id: req.id, result: r });
      return;
    }
    case 'classify': {
      const s = loadedSession();
      const t0 = performance.now();
      const c = s.classify(req.pixels);
      post({ type: 'classified', id: req.id, result: { label: c.label, name: c.name, scores: Array.from(c.scores), ms: performance.now() - t0 } });
      return;
    }
    case 'compile': {
      // The compiler (with binaryen, ~15 MB) is its own chunk, fetched only when an ONNX file is dropped.
      const { compileToWasm } = await import('./compile-in-browser.js');
      const r = await compileToWasm(new Uint8Array(req.onnx), req.name, req.vocab, (stage, done, total) =>
        post({ type: 'progress', id: req.id, stage, done, total }),
      );
      const wasm = r.wasm.slice().buffer;
      post({ type: 'compiled', id: req.id, result: { wasm, seconds: r.seconds, summary: r.summary } }, [wasm]);
      return;
    }
  }
}
