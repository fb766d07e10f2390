/**
 * @fileoverview The page's side of the model worker: promises for requests, callbacks for the
 * streamed tokens and the compiler's progress.
 */
import type { Classified, CompiledModel, Generated, Loaded, Reply, Request, SampleSettings } from './protocol.js';

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onTokens?: (text: string, ids: number[]) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export class ModelClient {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor() {
    this.worker = new Worker(new URL('./model-worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<Reply>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      // A worker that failed to start (script missing, syntax error): fail every request.
      const err = new Error(`the model worker failed: ${e.message || 'could not start it'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  load(source: string | ArrayBuffer, name: string, threads: number): Promise<Loaded> {
    // The worker resolves URLs against its own script's address, so send an absolute one.
    const src = typeof source === 'string' ? new URL(source, location.href).href : source;
    return this.request({ type: 'load', source: src, name, threads }, {}, typeof src === 'string' ? [] : [src]) as Promise<Loaded>;
  }

  /** Generates; `onTokens` gets the new text as it streams (a frame's worth of tokens at a time). */
  generate(prompt: string, settings: SampleSettings, onTokens: (text: string, ids: number[]) => void): Promise<Generated> {
    return this.request({ type: 'generate', prompt, settings }, { onTokens }) as Promise<Generated>;
  }

  classify(pixels: Uint8Array): Promise<Classified> {
    return this.request({ type: 'classify', pixels }) as Promise<Classified>;
  }

  compile(onnx: ArrayBuffer, name: string, vocab: string[] | undefined, onProgress: Pending['onProgress']): Promise<CompiledModel> {
    return this.request({ type: 'compile', onnx, name, vocab }, { onProgress }, [onnx]) as Promise<CompiledModel>;
  }

  terminate(): void {
    this.worker.terminate();
  }

  private request(body: RequestBody, hooks: Partial<Pending> = {}, transfer: Transferable[] = []): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...hooks });
      this.worker.postMessage({ ...body, id } as Request, transfer);
    });
  }

  private receive(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'tokens':
        p.onTokens?.(m.text, m.tokenIds);
        return;
      case 'progress':
        p.onProgress?.(m.stage, m.done, m.total);
        return;
      case 'error':
        this.pending.delete(m.id);
        p.reject(new Error(m.message));
        return;
      default:
        this.pending.delete(m.id);
        p.resolve(m.result);
    }
  }
}
