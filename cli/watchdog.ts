/**
 * @fileoverview A time limit on every call into a model's wasm (`--timeout`). A .wasm is code from a
 * file, and a forged one can loop forever inside a step; only another thread can stop it. So
 * `trit run` and `trit verify` on a .wasm run the verb in a worker thread (sandboxed()), whose
 * every call into the module marks a shared word with its start time (a few nanoseconds: two
 * atomic stores); this thread looks at the word ten times a second and terminates the worker — V8
 * interrupts wasm loops — when one call has run past the limit.
 *
 * (Node's vm timeouts would do it in one thread, but start a watchdog thread per call: 130 µs, half
 * the time of a small model's step.)
 */
import { existsSync } from 'node:fs';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { TritError } from '../common/errors.js';

/** The worker's shared word: [0] 1 while a call runs, [1] its start (ms since the worker began). */
interface Beat {
  beat: Int32Array;
  t0: number;
}
const mine: Beat | undefined =
  !isMainThread && workerData?.tritBeat ? { beat: new Int32Array(workerData.tritBeat), t0: performance.now() } : undefined;

/** Whether this thread is a sandbox worker (the verb runs here, watched). */
export const inSandbox = (): boolean => mine !== undefined;

/** The guard LoadOptions take: marks each call for the watching thread (no-op outside a sandbox). */
export function watchdog(): <T>(call: () => T) => T {
  if (!mine) return (call) => call();
  const { beat, t0 } = mine;
  return (call) => {
    Atomics.store(beat, 1, Math.round(performance.now() - t0));
    Atomics.store(beat, 0, 1);
    try {
      return call();
    } finally {
      Atomics.store(beat, 0, 0);
    }
  };
}

/** Runs `trit <argv>` in a worker, stopped after `seconds` in one call into the module. */
export function sandboxed(argv: string[], seconds: number, file: string): Promise<number> {
  const beat = new Int32Array(new SharedArrayBuffer(8));
  // Beside this file when built; from dist/ when a test runs the sources.
  const entry = [new URL('./sandbox-main.js', import.meta.url), new URL('../dist/cli/sandbox-main.js', import.meta.url)].find((u) => existsSync(u))!;
  const w = new Worker(entry, { workerData: { argv, tritBeat: beat.buffer } });
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      resolve(code);
    };
    // The worker's clock started a little after ours: measuring from ours errs on the long side.
    const poll = setInterval(() => {
      if (Atomics.load(beat, 0) === 1 && performance.now() - t0 - Atomics.load(beat, 1) > seconds * 1000) {
        void w.terminate();
        const e = new TritError(
          `one call into the module ran past ${seconds} s and was stopped`,
          { file },
          'a .wasm from trit compile takes milliseconds per step: this one loops (is it really from trit?); on a very slow machine raise --timeout',
        );
        process.stderr.write(`trit: error: ${e.message}\n`);
        finish(1);
      }
    }, 100);
    w.on('message', (m: { fd?: 1 | 2; chunk?: string | Uint8Array; code?: number }) => {
      if (m.fd) (m.fd === 1 ? process.stdout : process.stderr).write(m.chunk!);
      else finish(m.code!);
    });
    w.on('error', (e) => {
      process.stderr.write(`trit: internal error — this is a bug in trit, please report it with the command you ran:\n${e.stack ?? e}\n`);
      finish(70);
    });
    w.on('exit', (code) => finish(code === 0 ? 0 : 70));
  });
}
