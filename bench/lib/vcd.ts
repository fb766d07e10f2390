/**
 * @fileoverview Switching activity from a VCD trace, read as a stream (a whole-inference trace of
 * the UP5K design is over a gigabyte, so it is never held in memory).
 *
 * Counts, within a window (while `window` is 1): clock cycles (rising edges of `clock`), bit
 * toggles of every traced signal whose hierarchical name contains `scope` (the clock excluded:
 * the clock network is priced per cycle), and, per `strobes` entry, the cycles on which that
 * signal is 1. A hand-written reader: the format is a dozen lines of grammar (IEEE 1364 §18) and
 * the npm VCD parsers either load the whole file or build per-change objects, both too slow here.
 */

export interface VcdCountOptions {
  /** Hierarchical name suffix of the clock, e.g. 'trit_top.clk_i'. */
  clock: string;
  /** Name suffix of a 1-bit signal that is 1 while the work of interest runs. */
  window?: string;
  /** Only signals whose full name contains this are counted (e.g. '.u_core.'). */
  scope?: string;
  /** label → name suffix of a 1-bit signal whose high cycles are counted. */
  strobes?: Record<string, string>;
}

export interface VcdActivity {
  cycles: number;
  toggles: number;
  /** Bits of the counted signals (each VCD identifier once, however many names alias it). */
  bits: number;
  /** toggles ÷ (bits × cycles). */
  toggleRate: number;
  strobes: Record<string, number>;
  /** Signals counted and the total declared. */
  signals: { counted: number; declared: number };
}

interface Var {
  bits: number;
  counted: boolean;
}

export class VcdCounter {
  private readonly o: VcdCountOptions;
  private rest = '';
  private inHeader = true;
  private scopes: string[] = [];
  private vars = new Map<string, Var>();
  private values = new Map<string, string>();
  private clockId = '';
  private windowId = '';
  private strobeIds = new Map<string, string>();
  private declared = 0;
  private open = false;
  private rose = false;
  private cycles = 0;
  private toggles = 0;
  private strobeCounts: Record<string, number> = {};

  constructor(o: VcdCountOptions) {
    this.o = o;
    for (const k of Object.keys(o.strobes ?? {})) this.strobeCounts[k] = 0;
  }

  /** Feeds the next piece of the trace. */
  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.line(l.trim());
  }

  /** Ends the trace and returns the counts. */
  end(): VcdActivity {
    if (this.rest) this.line(this.rest.trim());
    this.rest = '';
    this.timestamp();
    if (!this.clockId) throw new Error(`VCD: no clock signal ending in '${this.o.clock}'`);
    if (this.o.window && !this.windowId) throw new Error(`VCD: no window signal ending in '${this.o.window}'`);
    let bits = 0,
      counted = 0;
    for (const v of this.vars.values())
      if (v.counted) {
        bits += v.bits;
        counted++;
      }
    return {
      cycles: this.cycles,
      toggles: this.toggles,
      bits,
      toggleRate: bits && this.cycles ? this.toggles / (bits * this.cycles) : 0,
      strobes: { ...this.strobeCounts },
      signals: { counted, declared: this.declared },
    };
  }

  private line(l: string): void {
    if (!l) return;
    if (this.inHeader) return this.header(l);
    const c = l[0];
    if (c === '#') return this.timestamp();
    if (c === '0' || c === '1' || c === 'x' || c === 'z' || c === 'X' || c === 'Z') return this.change(l.slice(1), c);
    if (c === 'b' || c === 'B') {
      const sp = l.indexOf(' ');
      return this.change(l.slice(sp + 1).trim(), l.slice(1, sp));
    }
    // r<real> id, $dumpvars/$end/$comment: reals are not logic; keywords carry no change.
  }

  private header(l: string): void {
    // Tokens may share a line ("$scope module u_core $end") or not; handle the common layouts.
    const t = l.split(/\s+/);
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '$scope') {
        this.scopes.push(t[i + 2]);
        i += 2;
      } else if (t[i] === '$upscope') this.scopes.pop();
      else if (t[i] === '$var') {
        const bits = Number(t[i + 2]),
          id = t[i + 3],
          name = [...this.scopes, t[i + 4]].join('.');
        this.declared++;
        this.bind(id, name, bits);
        i += 4;
      } else if (t[i] === '$enddefinitions') {
        this.inHeader = false;
        return;
      }
    }
  }

  private bind(id: string, name: string, bits: number): void {
    const ends = (suffix: string) => name === suffix || name.endsWith('.' + suffix) || name.endsWith(suffix);
    if (!this.clockId && ends(this.o.clock)) this.clockId = id;
    if (this.o.window && !this.windowId && ends(this.o.window)) this.windowId = id;
    for (const [label, s] of Object.entries(this.o.strobes ?? {})) if (!this.strobeIds.has(label) && ends(s)) this.strobeIds.set(label, id);
    const inScope = !this.o.scope || name.includes(this.o.scope);
    const prev = this.vars.get(id);
    if (prev) {
      prev.counted ||= inScope && id !== this.clockId;
      return;
    }
    this.vars.set(id, { bits, counted: inScope && id !== this.clockId });
  }

  /** A new timestamp: the previous one's changes are complete, so sample at a rising edge. */
  private timestamp(): void {
    if (this.rose) {
      this.rose = false;
      if (this.open) {
        this.cycles++;
        for (const [label, id] of this.strobeIds) if (this.values.get(id) === '1') this.strobeCounts[label]++;
      }
    }
    if (this.windowId) this.open = this.values.get(this.windowId) === '1';
    else this.open = true;
  }

  private change(id: string, value: string): void {
    const v = this.vars.get(id);
    if (!v) return;
    const prev = this.values.get(id);
    if (id === this.clockId && value === '1' && prev === '0') this.rose = true;
    if (prev !== undefined && this.open && v.counted) this.toggles += differingBits(prev, value, v.bits);
    this.values.set(id, value);
  }
}

/** Bits that differ between two VCD vector values (left-extended to `width` as VCD specifies). */
export function differingBits(a: string, b: string, width: number): number {
  const pa = extend(a, width),
    pb = extend(b, width);
  let n = 0;
  for (let i = 0; i < width; i++) if (pa.charCodeAt(i) !== pb.charCodeAt(i)) n++;
  return n;
}

function extend(v: string, width: number): string {
  if (v.length >= width) return v.length === width ? v : v.slice(v.length - width);
  const fill = v[0] === 'x' || v[0] === 'z' ? v[0] : '0';
  return fill.repeat(width - v.length) + v;
}
