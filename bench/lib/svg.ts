/**
 * @fileoverview Horizontal bar charts as standalone SVG (readable in any browser or viewer, no
 * scripts, no external fonts). Hand-written because the report needs one chart type and the
 * plotting libraries that render SVG in Node (vega, plotly) bring a DOM or tens of megabytes.
 * Each bar may carry a min–max whisker (the spread of the repeats) and a note.
 */

export interface Bar {
  label: string;
  value: number;
  min?: number;
  max?: number;
  /** Colour group (e.g. the runtime); bars of a group share a colour and the legend names it. */
  group?: string;
  /** Printed after the value (e.g. "modelled"). */
  note?: string;
}

export interface ChartOptions {
  title: string;
  unit: string;
  /** Logarithmic axis (for values spanning decades, such as J/token across CPU and FPGA). */
  log?: boolean;
  width?: number;
  /** Text under the chart: machine, date, how the values were obtained (wrapped to the width). */
  caption?: string;
  /** Formats values and tick labels (default: 3 significant digits, k/M suffixes). */
  format?: (v: number) => string;
}

/** Splits text into lines of at most `n` characters at spaces. */
export function wrap(text: string, n: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const w of para.split(' ')) {
      if (line && line.length + 1 + w.length > n) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    out.push(line);
  }
  return out;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceValue(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`;
  if (a >= 1) return String(+x.toPrecision(3));
  return String(+x.toPrecision(2));
}

/** Axis ticks: powers of ten on a log axis, 1/2/5 steps on a linear one. */
export function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const span = hi - lo || 1;
  const raw = span / 5,
    mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}

/** Renders a horizontal bar chart. Bars with a non-positive value on a log axis are drawn empty. */
export function barChart(bars: readonly Bar[], o: ChartOptions): string {
  const W = o.width ?? 860,
    left = 300,
    right = 150,
    rowH = 22,
    top = 48;
  const fmtV = o.format ?? niceValue;
  const groups = [...new Set(bars.map((b) => b.group ?? ''))].filter((g) => g);
  // Legend entries flow left to right and wrap; ~7 px per character at 12 px.
  const legend: { g: string; x: number; row: number }[] = [];
  let lx = 8,
    lrow = 0;
  for (const g of groups) {
    const w = 24 + g.length * 7;
    if (lx + w > W - 8 && lx > 8) {
      lx = 8;
      lrow++;
    }
    legend.push({ g, x: lx, row: lrow });
    lx += w;
  }
  const legendH = groups.length ? (lrow + 1) * 18 + 4 : 0;
  const captionLines = o.caption ? wrap(o.caption, Math.floor(W / 6.2)) : [];
  const H = top + legendH + bars.length * rowH + 40 + captionLines.length * 14;
  const plotW = W - left - right;
  const vals = bars.flatMap((b) => [b.value, b.min ?? b.value, b.max ?? b.value]).filter((v) => Number.isFinite(v) && (!o.log || v > 0));
  let lo = o.log ? Math.min(...vals) : 0,
    hi = vals.length ? Math.max(...vals) : 1;
  if (o.log) {
    lo = 10 ** Math.floor(Math.log10(lo || 1));
    hi = 10 ** Math.ceil(Math.log10(hi || 1));
    if (hi <= lo) hi = lo * 10;
  } else if (hi <= 0) hi = 1;
  const x = (v: number) => {
    if (o.log) return left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
    return left + (v / hi) * plotW;
  };
  const colour = (g?: string) => PALETTE[Math.max(0, groups.indexOf(g ?? '')) % PALETTE.length];
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (const { g, x: gx, row } of legend) {
    const gy = top - 8 + row * 18;
    out.push(`<rect x="${gx}" y="${gy}" width="12" height="12" fill="${colour(g)}"/><text x="${gx + 16}" y="${gy + 10}">${escapeXml(g)}</text>`);
  }
  const y0 = top + legendH,
    yEnd = y0 + bars.length * rowH;
  for (const t of ticks(lo, hi, !!o.log)) {
    const tx = x(t);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${y0}" x2="${tx.toFixed(1)}" y2="${yEnd}" stroke="#dddddd"/>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${yEnd + 14}" text-anchor="middle" fill="#555555">${escapeXml(fmtV(t))}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${yEnd + 30}" text-anchor="middle">${escapeXml(o.unit)}${o.log ? ' (log scale)' : ''}</text>`);
  bars.forEach((b, i) => {
    const y = y0 + i * rowH;
    out.push(`<text x="${left - 6}" y="${y + 15}" text-anchor="end">${escapeXml(b.label)}</text>`);
    const ok = Number.isFinite(b.value) && (!o.log || b.value > 0);
    const x1 = ok ? x(b.value) : left;
    out.push(
      ok
        ? `<rect x="${left}" y="${y + 4}" width="${Math.max(1, x1 - left).toFixed(1)}" height="${rowH - 8}" fill="${colour(b.group)}"/>`
        : `<rect x="${left}" y="${y + 4}" width="2" height="${rowH - 8}" fill="none" stroke="#999999"/>`,
    );
    if (ok && b.min !== undefined && b.max !== undefined && b.max > b.min) {
      const a = x(b.min),
        z = x(b.max),
        m = y + rowH / 2;
      out.push(
        `<path d="M${a.toFixed(1)} ${m - 4}v8M${a.toFixed(1)} ${m}H${z.toFixed(1)}M${z.toFixed(1)} ${m - 4}v8" stroke="#222222" fill="none"/>`,
      );
    }
    const label = ok ? fmtV(b.value) + (b.note ? `  ${b.note}` : '') : (b.note ?? 'n/a');
    const tx = Math.max(x1, b.max !== undefined && ok ? x(b.max) : 0) + 6;
    out.push(`<text x="${tx.toFixed(1)}" y="${y + 15}" fill="#222222">${escapeXml(label)}</text>`);
  });
  captionLines.forEach((c, i) => out.push(`<text x="8" y="${yEnd + 48 + i * 14}" fill="#555555" font-size="11">${escapeXml(c)}</text>`));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
