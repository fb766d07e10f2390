/**
 * @fileoverview Runs fuzz cases against the `trit` CLI under a watchdog. Each case is a set of
 * files (bytes, text, folders, FIFOs, symlinks) written to a fresh folder and a command line naming
 * them; worker processes (child.ts) run the CLI's `main` in-process, and this parent kills a worker
 * whose case runs past the time limit or whose resident memory passes the limit, then starts a new
 * one. Every case ends in one verdict:
 *
 *   accepted  exit 0                       clean    exit 1 with one `trit: error:` report
 *   crash     exit 70 ("internal"), an exception out of main, or the worker died
 *   hang      the time limit passed        memory   the memory limit passed
 *   unclean   a clean exit whose report prints raw control characters from a file
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** A file of a case: bytes, text, a folder of files, a FIFO, or a symlink to a path. */
export type FileSpec = Uint8Array | string | { dir: Record<string, FileSpec> } | { fifo: true } | { symlink: string };

export interface Case {
  id: string;
  format: string;
  files: Record<string, FileSpec>;
  /** `{}` stands for the case's folder. */
  argv: string[];
}

export type Verdict = 'accepted' | 'clean' | 'crash' | 'hang' | 'memory' | 'unclean';
export const BAD: Verdict[] = ['crash', 'hang', 'memory', 'unclean'];

export interface Result {
  id: string;
  format: string;
  verdict: Verdict;
  code: number | null;
  /** the report's first line (or the crash's) */
  line: string;
  ms: number;
  /** resident memory the case added to its worker, at its peak */
  peakMiB: number;
}

export interface RunOptions {
  jobs?: number;
  timeoutMs?: number;
  memoryMiB?: number;
  onResult?: (r: Result) => void;
}

// Beside this file when it runs built; from dist/ when a test loads the sources.
const CHILD = [new URL('./child.js', import.meta.url), new URL('../dist/fuzz/child.js', import.meta.url)].find((u) => existsSync(u))!;

function writeSpec(path: string, spec: FileSpec): void {
  if (spec instanceof Uint8Array || typeof spec === 'string') writeFileSync(path, spec);
  else if ('dir' in spec) {
    mkdirSync(path);
    for (const [n, s] of Object.entries(spec.dir)) writeSpec(join(path, n), s);
  } else if ('fifo' in spec) execFileSync('mkfifo', [path]);
  else symlinkSync(spec.symlink, path);
}

/** The verdict of a case that ended on its own. */
export function judge(code: number, text: string): { verdict: Verdict; line: string } {
  const lines = text.split('\n');
  const err = lines.find((l) => l.startsWith('trit: ') || l.startsWith('trit ')) ?? lines.find((l) => l.trim()) ?? '';
  if (code !== 0 && (code !== 1 || /\binternal\b/.test(text))) return { verdict: 'crash', line: lines.slice(0, 4).join(' | ') };
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(text)) return { verdict: 'unclean', line: JSON.stringify(err) };
  return { verdict: code === 0 ? 'accepted' : 'clean', line: err };
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** One worker process and the case it runs. */
class Worker {
  proc!: ChildProcess;
  ready!: Promise<void>;
  runs = 0;
  constructor(private root: string) {
    this.start();
  }
  start(): void {
    this.proc = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: ['--stack-size=984'] });
    // A worker that dies before it is ready (a broken build) must fail the run, not stall it.
    this.ready = new Promise((res, rej) => {
      this.proc.once('message', () => res());
      this.proc.once('exit', (code) => rej(new Error(`a fuzz worker exited (${code}) before it was ready: run it alone, node ${CHILD.pathname}`)));
    });
    this.runs = 0;
  }
  kill(): void {
    this.proc.removeAllListeners();
    this.proc.kill('SIGKILL');
  }
  async run(c: Case, timeoutMs: number, memoryMiB: number): Promise<Result> {
    if (this.runs++ >= 200) {
      this.kill();
      this.start();
    }
    await this.ready;
    const dir = mkdtempSync(join(this.root, 'c-'));
    for (const [n, s] of Object.entries(c.files)) writeSpec(join(dir, n), s);
    const argv = c.argv.map((a) => a.replaceAll('{}', dir));
    const t0 = performance.now();
    // Memory is judged by what the case adds to the worker, not by what earlier cases left.
    const base = rssMiB(this.proc.pid!);
    let peak = 0;
    const end = (verdict: Verdict, code: number | null, line: string): Result => ({
      id: c.id,
      format: c.format,
      verdict,
      code,
      line,
      ms: Math.round(performance.now() - t0),
      peakMiB: Math.round(peak),
    });
    const r = await new Promise<Result>((resolve) => {
      const p = this.proc;
      const finish = (res: Result, restart: boolean) => {
        clearInterval(poll);
        p.removeAllListeners('message').removeAllListeners('exit');
        if (restart) {
          this.kill();
          this.start();
        }
        resolve(res);
      };
      const poll = setInterval(() => {
        peak = Math.max(peak, rssMiB(p.pid!) - base);
        if (peak > memoryMiB) finish(end('memory', null, `resident memory grew past ${memoryMiB} MiB`), true);
        else if (performance.now() - t0 > timeoutMs) finish(end('hang', null, `no end within ${timeoutMs} ms`), true);
      }, 10);
      p.on('message', (m: { id: string; code: number; text: string }) => {
        if (m.id !== c.id) return;
        const j = judge(m.code, m.text);
        finish(end(j.verdict, m.code, j.line), false);
      });
      p.once('exit', (code, sig) => finish(end('crash', code, `the worker died (${sig ?? code})`), true));
      p.send({ id: c.id, argv });
    });
    rmSync(dir, { recursive: true, force: true });
    return r;
  }
}

/** Runs every case; results in the order the cases came. `cases` may be a list or a count and a
 *  function making case i on demand (ten thousand cases with their files would not fit in memory). */
export async function runCases(cases: Case[] | { count: number; make: (i: number) => Case }, opts: RunOptions = {}): Promise<Result[]> {
  const { count, make } = Array.isArray(cases) ? { count: cases.length, make: (i: number) => cases[i] } : cases;
  const root = mkdtempSync(join(tmpdir(), 'trit-fuzz-'));
  const workers = Array.from({ length: opts.jobs ?? 2 }, () => new Worker(root));
  const out: Result[] = new Array(count);
  let next = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        while (next < count) {
          const i = next++;
          out[i] = await w.run(make(i), opts.timeoutMs ?? 20_000, opts.memoryMiB ?? 1024);
          opts.onResult?.(out[i]);
        }
      }),
    );
  } finally {
    for (const w of workers) w.kill();
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}
