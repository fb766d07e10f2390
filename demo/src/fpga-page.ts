/**
 * @fileoverview The FPGA page: the generated Verilog (browsable), the iCE40 UP5K build report and
 * the energy table of `trit bench`. Everything here was produced by runs; each table says which.
 */
import { $, fmtInt, setState, showError } from './common.js';
import type { FpgaPageData } from './fpga-data.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmtJ = (j: number | null) =>
  j === null ? '–' : j >= 1 ? `${j.toPrecision(3)} J` : j >= 1e-3 ? `${(j * 1e3).toPrecision(3)} mJ` : `${(j * 1e6).toPrecision(3)} µJ`;
const fmtW = (w: number | null) => (w === null ? '–' : w >= 1 ? `${w.toPrecision(3)} W` : `${(w * 1e3).toPrecision(3)} mW`);

/** Escapes text and shows its `backticked` parts as code. */
const codeSpans = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function reportTable(r: Record<string, unknown>): string {
  const n = (k: string) => (typeof r[k] === 'number' ? fmtInt(r[k] as number) : '–');
  const rows: [string, string][] = [
    ['device', `${r.device} (${r.package})`],
    ['logic cells', `${n('logicCells')} of ${n('logicCellsAvailable')}`],
    ['LUT4 / carry / DFF', `${n('luts')} / ${n('carries')} / ${n('dffs')}`],
    ['EBR (4 Kbit block RAM)', `${n('ebr')} of 30`],
    ['SPRAM (256 Kbit)', `${n('spram')} of 4`],
    ['DSP (SB_MAC16)', `${n('dsp')} of 8`],
    ['Fmax after routing', `${r.fmaxMHz} MHz (target ${r.targetMHz} MHz)`],
    ['cycles per inference', `${n('cyclesPerInference')} — ${r.cyclesSource ?? ''}`],
    ['inferences/s at Fmax', String(r.inferencesPerSecondAtFmax ?? '–')],
    [`inferences/s at the board's ${r.boardClockMHz} MHz`, String(r.inferencesPerSecondAtBoardClock ?? '–')],
    ['bitstream', `${n('bitstreamBytes')} bytes`],
    [
      'tools',
      `Yosys ${typeof r.yosysSeconds === 'number' ? (r.yosysSeconds as number).toFixed(0) : '?'} s, nextpnr ${typeof r.nextpnrSeconds === 'number' ? (r.nextpnrSeconds as number).toFixed(0) : '?'} s`,
    ],
  ];
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

async function showFile(name: string, about: string): Promise<void> {
  for (const a of document.querySelectorAll<HTMLElement>('#files li')) a.classList.toggle('active', a.dataset.name === name);
  $('#file-name').textContent = `${name} — ${about}`;
  const r = await fetch(`verilog/${encodeURIComponent(name)}`);
  const text = r.ok ? await r.text() : `(cannot fetch ${name}: HTTP ${r.status})`;
  const lines = text.split('\n');
  $('#code').innerHTML = lines.map((l, i) => `<span class="ln">${i + 1}</span>${esc(l)}`).join('\n');
}

async function main(): Promise<void> {
  setState('loading', 'loading data/fpga.json…');
  const r = await fetch('data/fpga.json');
  if (!r.ok) throw new Error(`cannot fetch data/fpga.json (HTTP ${r.status}): rebuild the site with \`npm run demo\``);
  const d = (await r.json()) as FpgaPageData;
  $('#report').innerHTML = d.report
    ? reportTable(d.report)
    : '<p>No UP5K build report was found: run <code>npm run main</code> or <code>trit bench</code>.</p>';
  $('#report-source').innerHTML = codeSpans(d.reportSource);
  const list = $('#files');
  for (const f of d.verilog) {
    const li = document.createElement('li');
    li.dataset.name = f.name;
    li.innerHTML = `<b>${esc(f.name)}</b> <small>${fmtInt(f.bytes)} B</small><br><small>${esc(f.about)}</small>`;
    li.addEventListener('click', () => void showFile(f.name, f.about));
    list.append(li);
  }
  const first = d.verilog.find((f) => f.name === 'trit_top.v') ?? d.verilog[0];
  if (first) await showFile(first.name, first.about);
  const e = $('#energy');
  if (!d.energy) {
    e.innerHTML = '<p>No full <code>trit bench</code> result was found in bench/results.</p>';
  } else {
    $('#energy-source').innerHTML = codeSpans(`${d.energy.source} — ${d.energy.machine}`);
    const table = (m: (typeof d.energy.models)[number]) => `<h3>${esc(m.model)}: energy per ${esc(m.item)}</h3>
      <table class="grid"><thead><tr><th>configuration</th><th>arithmetic</th><th>${esc(m.item)}s/s</th><th>power</th><th>energy per ${esc(m.item)}</th><th>how</th><th>basis</th></tr></thead>
      <tbody>${m.rows
        .map(
          (
            x,
          ) => `<tr><td>${esc(x.label)}</td><td>${esc(x.arithmetic)}</td><td>${esc(x.rate)}</td><td>${fmtW(x.watts)}</td><td><b>${fmtJ(x.joules)}</b></td>
        <td><span class="how ${x.how.replace(/ /g, '-')}">${esc(x.how)}</span></td><td><small>${esc(x.basis)}</small></td></tr>`,
        )
        .join('')}</tbody></table>`;
    const plot = (m: { model: string }) =>
      d
        .energy!.plots.filter((p) => p.endsWith(`energy-${m.model}.svg`))
        .map((p) => `<figure><img src="${esc(p)}" alt="energy per item, ${esc(m.model)}"></figure>`)
        .join('');
    // The models with a UP5K row first (the FPGA side), the CPU-only ones folded away.
    const onFpga = d.energy.models.filter((m) => m.rows.some((r) => r.label.startsWith('iCE40')));
    const rest = d.energy.models.filter((m) => !onFpga.includes(m));
    e.innerHTML =
      onFpga.map((m) => table(m) + plot(m)).join('') +
      rest
        .map(
          (m) =>
            `<details><summary>${esc(m.model)}: energy per ${esc(m.item)} (CPU only: too large for the UP5K)</summary>${table(m)}${plot(m)}</details>`,
        )
        .join('');
  }
  setState('done', 'loaded');
}

main().catch((e) => showError((e as Error).message));
