/**
 * @fileoverview How many of a session's threads each step uses, chosen by measuring.
 *
 * Why: threads only help when the cores are free. With another process busy on one of two cores,
 * a step that forks onto two threads waits at every matrix for whichever thread the OS has
 * descheduled; measured on the 370M shape (2-core AMD EPYC, issue 19), a normal-priority
 * competitor took two threads to 25–29 tokens/s where one thread kept 50–53. Results do not depend
 * on the thread count (a chunk's work and output depend only on its number, threads.ts), so the
 * session may switch freely between steps: it runs the steps at the thread count that has been
 * faster lately, and now and then tries the other one again, because a competitor comes and goes.
 *
 * The policy, per kind of step (a full step and a prompt step without the output head differ):
 * run `probe` steps at each count, keep the faster (more threads must win by `margin`, since a
 * thread that barely helps only takes a core from someone else), run it for a while, then measure
 * the other count again for `probe` steps. The while starts at `every` steps and doubles each time
 * the comparison confirms the choice (quadruples when the other count was ≥ 1.5× slower), up to
 * `maxEvery` (back to `every` when the choice changes): early
 * decisions, taken while the engine is still compiling the module's hot code, are revisited soon,
 * and a settled one costs at most probe / maxEvery of the steps at the slower count (6 in 262).
 */

/** Tunables; the defaults are what the session uses. */
export interface TunerOptions {
  /** Steps measured at each count per comparison. */
  probe: number;
  /** Steps run with the chosen count after a comparison changed it… */
  every: number;
  /** …doubling after each comparison that keeps it, up to this. */
  maxEvery: number;
  /** More threads are kept only when their median step is this much faster. */
  margin: number;
}

const DEFAULTS: TunerOptions = { probe: 6, every: 16, maxEvery: 256, margin: 0.05 };

/** Picks the thread count (1 or `max`) step by step from measured step times. */
export class ThreadTuner {
  readonly max: number;
  private readonly o: TunerOptions;
  /** The count the last comparison chose (at first: what was asked for). */
  private chosen: number;
  /** Recent step times (ms) at each count, newest last, at most `probe` each. */
  private readonly times = new Map<number, number[]>();
  /** The count being measured against `chosen`, or null while `chosen` runs. */
  private trying: number | null = null;
  /** Steps left in the current phase, and the length of the next run phase. */
  private left: number;
  private every: number;

  constructor(max: number, opts: Partial<TunerOptions> = {}) {
    this.max = max;
    this.o = { ...DEFAULTS, ...opts };
    this.chosen = max;
    this.left = this.o.probe; // a first run phase just long enough to measure `max`
    this.every = this.o.every;
  }

  /** The thread count the next step should use. */
  next(): number {
    return this.trying ?? this.chosen;
  }

  /** The count the comparisons currently prefer. */
  get current(): number {
    return this.chosen;
  }

  /** Records that a step run with `n` threads took `ms` milliseconds. */
  record(n: number, ms: number): void {
    const t = this.times.get(n) ?? [];
    t.push(ms);
    if (t.length > this.o.probe) t.shift();
    this.times.set(n, t);
    if (--this.left > 0) return;
    if (this.trying === null) {
      // The chosen count ran its phase (its last `probe` steps are its figure): measure the other.
      this.trying = this.chosen === 1 ? this.max : 1;
      this.left = this.o.probe;
    } else {
      const one = median(this.times.get(1)),
        many = median(this.times.get(this.max));
      const was = this.chosen,
        both = one !== null && many !== null;
      if (both) this.chosen = many < one * (1 - this.o.margin) ? this.max : 1;
      // Confirmed: back off — four times as long when the other count was far slower (≥ 1.5×),
      // since measuring it again costs that much more.
      const far = both && Math.max(one, many) >= 1.5 * Math.min(one, many);
      this.every = this.chosen === was ? Math.min(this.o.maxEvery, this.every * (far ? 4 : 2)) : this.o.every;
      this.trying = null;
      this.left = this.every;
    }
  }
}

function median(xs: number[] | undefined): number | null {
  if (!xs || xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
