/**
 * @fileoverview The fuzz tier's worker process: runs the cases its parent sends, one at a time, in
 * this process — the `trit` CLI's own `main` with stdout and stderr captured. The parent watches
 * its time and memory and kills it on a hang or a blow-up (runner.ts); a crash of this process is a
 * finding too.
 */
import { main } from '../cli/cli.js';

interface Job {
  id: string;
  argv: string[];
}

/** stdout/stderr captured for one case: the CLI writes through process.std*.write. */
function capture(): { text: () => string; restore: () => void } {
  let buf = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    if (buf.length < 1 << 16) buf += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk as Uint8Array);
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  return {
    text: () => buf,
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
    },
  };
}

process.on('message', async (job: Job) => {
  const cap = capture();
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(job.argv);
  } catch (e) {
    code = 71; // main itself threw: worse than an internal error
    cap.text();
    process.stderr.write(String((e as Error)?.stack ?? e));
  }
  cap.restore();
  process.send!({ id: job.id, code, text: cap.text(), ms: performance.now() - t0 });
});
process.send!({ ready: true });
