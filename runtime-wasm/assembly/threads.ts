// Fork/join over shared memory for the matrix work, with work taken in chunks.
//
// Why chunks: with one fixed share per thread, every matrix waited for its slowest thread, and a
// thread the OS had descheduled (another process busy, a browser's own main thread) stalled the
// whole step — two threads then decoded slower than one. Now a job is cut into more chunks than
// threads and every thread, thread 0 included, claims the next unclaimed chunk until none is
// left, so a late thread's chunks are done by the others. A chunk's work and where it writes depend
// only on the chunk's number, never on which thread ran it: results stay bit-identical for any
// thread count and any timing.
//
// Control block (linker-chosen address `ctl`, 64 bytes):
//   [0]  i64 claim word: low half the generation (what sleeping workers wait on), high half the
//        next unclaimed chunk — LOCKED while thread 0 rewrites the job below
//   [8]  job id (-1 = exit)     [12] chunk count     [16] chunks finished
//   [20] workers asleep         [24] workers that have exited
// A claim is one compare-and-swap of the whole word, so it can only succeed for the generation
// whose job and chunk count the claimer read: those are written while the word is LOCKED and
// read after it was seen open.

import { MAX_CHUNKS } from './codes';

// Provided by the linker: runs chunk `chunk` of `chunks` of job `job`.
// @ts-ignore: decorator
@external("trit", "runJob")
declare function runJob(job: i32, chunk: i32, chunks: i32): void;

// Spin this many polls (a few milliseconds) before sleeping: a decode step forks once per matrix,
// with elementwise work in between, and waking a sleeping thread costs tens of microseconds.
const SPIN: i32 = 1 << 21;
const LOCKED: i64 = 0x7fffffff;
const HIGH: i64 = (<i64>1) << 32; // one in the claim word's high half
// MAX_CHUNKS (codes.ts, from compiler/backends/wasm/codes.ts): the linker places a partial-sum
// buffer for every chunk of a split matmul but the first.

/** Chunks per thread: enough that a stalled thread's share is picked up by the others, few enough
 *  that each chunk is still a long run of weights and the partial sums stay small. */
const PER_THREAD: i32 = 4;

/** How many chunks a job of `units` work units is cut into on `nthreads` threads. */
export function chunkCount(units: i32, nthreads: i32): i32 {
  if (nthreads <= 1) return 1;
  return max(1, min(units, min(MAX_CHUNKS, nthreads * PER_THREAD)));
}

/** Claims and runs chunks of generation `gen` until none is left; the finished count goes up by one a chunk. */
function work(ctl: usize, gen: i32, job: i32, chunks: i32): void {
  while (true) {
    const w = atomic.load<i64>(ctl);
    if (<i32>w != gen) return;
    const c = <i32>(w >>> 32);
    if (c >= chunks) return; // also LOCKED
    if (atomic.cmpxchg<i64>(ctl, w, w + HIGH) != w) continue;
    runJob(job, c, chunks);
    atomic.add<i32>(ctl + 16, 1);
  }
}

/** Thread 0: publishes a job of `units` units, works on it with the others, returns when all is done. */
export function fork(ctl: usize, job: i32, nthreads: i32, units: i32): void {
  if (nthreads <= 1) { runJob(job, 0, 1); return; }
  const chunks = chunkCount(units, nthreads);
  const gen = <i32>atomic.load<i64>(ctl) + 1;
  atomic.store<i64>(ctl, (LOCKED << 32) | <i64><u32>gen);
  atomic.store<i32>(ctl + 8, job);
  atomic.store<i32>(ctl + 12, chunks);
  atomic.store<i32>(ctl + 16, 0);
  atomic.store<i64>(ctl, <i64><u32>gen);
  // A worker counts itself asleep before it waits and re-checks the generation, so skipping the
  // notify (a system call) when none sleeps cannot strand one.
  if (atomic.load<i32>(ctl + 20) > 0) atomic.notify(ctl, nthreads - 1);
  work(ctl, gen, job, chunks);
  while (atomic.load<i32>(ctl + 16) < chunks) {} // chunks other threads are still running
}

/** Workers: loop until told to exit (job -1). `seen` is the generation when the pool started,
 *  passed in so a job posted before this worker reaches the loop is not missed. */
export function workerLoop(ctl: usize, tid: i32, nthreads: i32, seen: i32): void {
  while (true) {
    let spins = 0;
    while (atomic.load<i32>(ctl) == seen) {
      if (++spins > SPIN) {
        atomic.add<i32>(ctl + 20, 1);
        memory.atomic.wait32(ctl, seen, -1); // returns at once if the generation already moved
        atomic.sub<i32>(ctl + 20, 1);
        spins = 0;
      }
    }
    let w = atomic.load<i64>(ctl);
    while (<i32>(w >>> 32) == <i32>LOCKED) w = atomic.load<i64>(ctl); // thread 0 is mid-write
    seen = <i32>w;
    const job = atomic.load<i32>(ctl + 8);
    if (job < 0) { atomic.add<i32>(ctl + 24, 1); return; }
    work(ctl, seen, job, atomic.load<i32>(ctl + 12));
  }
}

/** Thread 0: tells the workers to return and waits until they have. */
export function stopWorkers(ctl: usize, nthreads: i32): void {
  if (nthreads <= 1) return;
  atomic.store<i32>(ctl + 24, 0);
  const gen = <i32>atomic.load<i64>(ctl) + 1;
  atomic.store<i64>(ctl, (LOCKED << 32) | <i64><u32>gen);
  atomic.store<i32>(ctl + 8, -1);
  atomic.store<i32>(ctl + 12, 0);
  atomic.store<i64>(ctl, <i64><u32>gen);
  atomic.notify(ctl, nthreads - 1);
  while (atomic.load<i32>(ctl + 24) < nthreads - 1) {}
}
