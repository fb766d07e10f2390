/**
 * @fileoverview The sandbox worker's entry (watchdog.ts): runs one `trit` command and posts its
 * output and exit code. Output goes as messages on one port, so stdout and stderr reach the
 * terminal in the order they were written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { main } from './cli.js';

for (const fd of [1, 2] as const) {
  const s = fd === 1 ? process.stdout : process.stderr;
  s.write = ((chunk: string | Uint8Array) => {
    parentPort!.postMessage({ fd, chunk });
    return true;
  }) as typeof s.write;
}
parentPort!.postMessage({ code: await main(workerData.argv as string[]) });
