/**
 * @fileoverview Node built-ins, imported at run time only where the runtime runs in Node (a path
 * to read, worker_threads to start).
 *
 * The specifier is computed so that bundlers leave the import alone: a browser bundle of the
 * runtime (esbuild `platform: 'browser'`, tested in test/browser/bundle.test.ts) must not try to
 * resolve `node:fs`, and never reaches this code in a page.
 */
export function importNode<T>(name: 'fs' | 'fs/promises' | 'url' | 'worker_threads'): Promise<T> {
  const specifier = 'node:' + name;
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/** True in Node (and in Node's worker threads). */
export const isNode = (): boolean => typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
