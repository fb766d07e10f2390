// Fork/join over shared memory for the ternary matrix work.
//
// Control block (linker-chosen address `ctl`, 16 bytes): [0] generation, [4] job id (-1 = exit),
// [8] finished-worker count, [12] workers asleep. Thread 0 runs the whole schedule; at each matrix it posts a job,
// bumps the generation and runs its own share; workers spin briefly, then sleep on the
// generation word, run their share of the same job and count themselves done. Shares are fixed
// ranges of output tiles, so results are bit-identical for any thread count.

// Provided by the linker: runs share `tid` of `nthreads` of job `job`.
// @ts-ignore: decorator
@external("trit", "runJob")
declare function runJob(job: i32, tid: i32, nthreads: i32): void;

// Spin this many polls (a few milliseconds) before sleeping: a decode step forks once per matrix,
// with elementwise work in between, and waking a sleeping thread costs tens of microseconds.
const SPIN: i32 = 1 << 21;

/** Thread 0: posts a job, does its share, waits for the others. */
export function fork(ctl: usize, job: i32, nthreads: i32): void {
  if (nthreads <= 1) { runJob(job, 0, 1); return; }
  atomic.store<i32>(ctl + 8, 0);
  atomic.store<i32>(ctl + 4, job);
  atomic.add<i32>(ctl, 1);
  // A worker counts itself asleep before it waits and re-checks the generation, so skipping the
  // notify (a system call) when none sleeps cannot strand one.
  if (atomic.load<i32>(ctl + 12) > 0) atomic.notify(ctl, nthreads - 1);
  runJob(job, 0, nthreads);
  while (atomic.load<i32>(ctl + 8) < nthreads - 1) {}
}

/** Workers: loop until told to exit (job -1). `seen` is the generation when the pool started,
 *  passed in so a job posted before this worker reaches the loop is not missed. */
export function workerLoop(ctl: usize, tid: i32, nthreads: i32, seen: i32): void {
  while (true) {
    let spins = 0;
    while (atomic.load<i32>(ctl) == seen) {
      if (++spins > SPIN) {
        atomic.add<i32>(ctl + 12, 1);
        memory.atomic.wait32(ctl, seen, -1); // returns at once if the generation already moved
        atomic.sub<i32>(ctl + 12, 1);
        spins = 0;
      }
    }
    seen = atomic.load<i32>(ctl);
    const job = atomic.load<i32>(ctl + 4);
    if (job < 0) { atomic.add<i32>(ctl + 8, 1); return; }
    runJob(job, tid, nthreads);
    atomic.add<i32>(ctl + 8, 1);
  }
}

/** Thread 0: tells the workers to return. */
export function stopWorkers(ctl: usize, nthreads: i32): void {
  fork(ctl, -1, nthreads);
}
