/**
 * @fileoverview A matrix-work thread: instantiates the model on the shared memory and runs its
 * `worker` export, which loops inside wasm until the main thread calls `stop`.
 * Works as a Node worker_threads script and as a browser module worker.
 */
import { importNode, isNode } from './node.js';

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  tid: number;
  nthreads: number;
  seen: number;
}

async function main(): Promise<void> {
  let post: (m: unknown) => void;
  let onMessage: (f: (m: Start) => void) => void;
  if (isNode()) {
    const wt = await importNode<typeof import('node:worker_threads')>('worker_threads');
    post = (m) => wt.parentPort!.postMessage(m);
    onMessage = (f) => wt.parentPort!.once('message', f);
  } else {
    const self_ = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: Start }) => void) | null };
    post = (m) => self_.postMessage(m);
    onMessage = (f) => {
      self_.onmessage = (e) => f(e.data);
    };
  }
  onMessage((s) => {
    const inst = new WebAssembly.Instance(s.module, { env: { memory: s.memory } });
    const ex = inst.exports as unknown as { worker(tid: number, n: number, seen: number): void };
    post({ ready: s.tid });
    ex.worker(s.tid, s.nthreads, s.seen);
    post({ done: s.tid });
  });
}

void main();
