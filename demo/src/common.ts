/**
 * @fileoverview What every demo page shares: the thread choice, the cross-origin-isolation
 * status, number formatting, the error box and the page state the browser tests wait on.
 */
import type { Loaded } from './protocol.js';

export const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`the page has no ${sel}`);
  return el;
};

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmtRate = (n: number) => (n >= 100 ? fmtInt(n) : n.toPrecision(3));

/** Threads can only be shared in a cross-origin-isolated page (SharedArrayBuffer). */
export const isolated = () => globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';

/** The thread count the page asks for: ?threads=N, else 2 where isolation allows it. */
export function wantedThreads(): number {
  const q = Number(new URLSearchParams(location.search).get('threads'));
  if (Number.isInteger(q) && q >= 1) return Math.min(q, 8);
  return isolated() ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
}

/** Fills a thread <select> (1, 2, 4, up to the cores) and selects `n`. */
export function threadSelect(sel: HTMLSelectElement, n: number): void {
  const max = Math.max(n, Math.min(8, navigator.hardwareConcurrency || 1));
  sel.innerHTML = '';
  for (const k of [1, 2, 4, 8].filter((k) => k <= Math.max(max, 2))) sel.add(new Option(String(k), String(k), k === n, k === n));
  if (!isolated()) {
    sel.disabled = true;
    sel.title = 'one thread: this page is not cross-origin isolated';
  }
}

/** The header line saying what threading this page gets, and why. */
export function isolationNote(el: HTMLElement, loaded?: Loaded): void {
  if (isolated()) {
    el.textContent = loaded
      ? `cross-origin isolated: ${loaded.threads} thread${loaded.threads > 1 ? 's' : ''} in use (${navigator.hardwareConcurrency} cores)`
      : `cross-origin isolated: threads available (${navigator.hardwareConcurrency} cores)`;
    el.className = 'badge ok';
  } else {
    el.textContent = 'not cross-origin isolated: one thread (the server sends no COOP/COEP headers, so there is no SharedArrayBuffer)';
    el.className = 'badge warn';
  }
}

/** The page's state, for people (the status line) and for the browser tests (data-state). */
export function setState(state: 'loading' | 'ready' | 'running' | 'done' | 'error', text: string): void {
  document.body.dataset.state = state;
  const s = document.querySelector('#status');
  if (s) s.textContent = text;
}

/** Shows an error in the page's error box (never a blank page). */
export function showError(message: string): void {
  const box = $('#error');
  box.hidden = false;
  box.textContent = message;
  setState('error', 'error');
}

export function clearError(): void {
  const box = $('#error');
  box.hidden = true;
  box.textContent = '';
}

/** What the threads do: how many run, which matrices they share, or why fewer than asked. */
export function threadsNote(l: Loaded): string {
  const t = l.meta.threading;
  if (l.threads === 1) return l.threadsNote ? `1 thread (${l.requestedThreads} asked for: ${l.threadsNote})` : '1 thread';
  return t ? `${l.threads} threads sharing ${t.shared} of ${t.matrices} matrices` : `${l.threads} threads`;
}

/** The per-token (per-image) operation counts from a compiled model's metadata. */
export function opsSummary(stats: Record<string, number> | undefined, item: string): string {
  if (!stats) return '';
  const mults = (stats.constMultiplies ?? 0) + (stats.elementwiseMultiplies ?? 0);
  return (
    `per ${item}: ${fmtInt(stats.weightAdds)} weight adds and subtracts, ${fmtInt(stats.weightMultiplies)} weight multiplies; ` +
    `${fmtInt(stats.adds + stats.subs)} adds and subtracts in all, ${fmtInt(mults)} multiplies outside the matrices (norms, gates, scales), ` +
    `${fmtInt(stats.lookups)} table lookups; ${fmtInt(stats.ternaryWeights)} ternary weights (${(100 * stats.weightSparsity).toFixed(0)}% zero)`
  );
}

/** Exposes values to the browser tests (and to curious people in the console). */
export function expose(values: Record<string, unknown>): void {
  const w = window as unknown as { tritDemo?: Record<string, unknown> };
  w.tritDemo = { ...(w.tritDemo ?? {}), ...values };
}
