/**
 * @fileoverview The drawing page: a canvas classified live by the zoo's columns-mnist model.
 */
import { ModelClient } from './client.js';
import { $, clearError, expose, fmtInt, isolationNote, opsSummary, setState, showError } from './common.js';
import { inkOf, toMnist } from './preprocess.js';
import { DIGITS_MODEL } from './site-config.js';

const client = new ModelClient();
const canvas = $<HTMLCanvasElement>('#pad');
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
const preview = $<HTMLCanvasElement>('#input-preview');
const pctx = preview.getContext('2d')!;
const bars = $('#scores');
let ready = false;
let pending = false,
  busy = false;
/** Bumped by every stroke; `classified` is the version the shown result was computed from. */
let inkVersion = 0,
  classified = 0;

function clearPad(): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, preview.width, preview.height);
  $('#label').textContent = '–';
  for (const b of bars.querySelectorAll<HTMLElement>('.bar')) b.style.width = '0';
  for (const v of bars.querySelectorAll<HTMLElement>('.value')) v.textContent = '';
  inkVersion++;
  classified = inkVersion;
  expose({ lastInput: null, lastResult: null });
}

function drawScores(scores: number[], label: number): void {
  // Softmax only for the bars' lengths; the label is the model's argmax.
  const top = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - top));
  const z = e.reduce((a, b) => a + b, 0);
  bars.querySelectorAll<HTMLElement>('.row').forEach((row, i) => {
    row.classList.toggle('best', i === label);
    row.querySelector<HTMLElement>('.bar')!.style.width = `${(100 * e[i]) / z}%`;
    row.querySelector<HTMLElement>('.value')!.textContent = scores[i].toFixed(2);
  });
}

/** Classifies what is on the pad; coalesces requests that come while one is running. */
async function classify(): Promise<void> {
  if (!ready) return;
  if (busy) {
    pending = true;
    return;
  }
  busy = true;
  try {
    const version = inkVersion;
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const pixels = toMnist(inkOf(img.data, canvas.width, canvas.height), canvas.width, canvas.height);
    const p = pctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      p.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
    }
    pctx.putImageData(p, 0, 0);
    if (!pixels.some((v) => v > 0)) {
      classified = version;
      return;
    }
    const r = await client.classify(pixels.slice());
    $('#label').textContent = r.name;
    drawScores(r.scores, r.label);
    $('#timing').textContent = `${r.ms.toFixed(2)} ms per image in wasm`;
    classified = version;
    expose({ lastInput: Array.from(pixels), lastResult: r });
    setState('done', `classified as ${r.name}`);
  } catch (e) {
    showError((e as Error).message);
  } finally {
    busy = false;
    if (pending) {
      pending = false;
      void classify();
    }
  }
}

// Drawing: pointer events (mouse, pen, touch), white ink, round strokes about 2 MNIST pixels wide.
let drawing = false,
  lastX = 0,
  lastY = 0,
  frame = 0;
const at = (e: PointerEvent) => {
  const r = canvas.getBoundingClientRect();
  return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
};
function stroke(x: number, y: number): void {
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(lastX, lastY);
  ctx.lineTo(x, y);
  ctx.stroke();
  inkVersion++;
  [lastX, lastY] = [x, y];
}
canvas.addEventListener('pointerdown', (e) => {
  drawing = true;
  canvas.setPointerCapture(e.pointerId);
  [lastX, lastY] = at(e);
  stroke(lastX, lastY);
});
canvas.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = at(e);
  stroke(x, y);
  // Live: at most one classification per frame while drawing.
  if (!frame)
    frame = requestAnimationFrame(() => {
      frame = 0;
      void classify();
    });
});
const end = () => {
  if (drawing) {
    drawing = false;
    void classify();
  }
};
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);
$('#clear').addEventListener('click', () => {
  clearPad();
  setState('ready', 'draw a digit');
});

for (let i = 0; i < 10; i++) {
  const row = document.createElement('div');
  row.className = 'row';
  row.innerHTML = `<span class="digit">${i}</span><span class="track"><span class="bar"></span></span><span class="value"></span>`;
  bars.append(row);
}
clearPad();
// For the browser tests: true once the result shown is that of everything drawn so far.
expose({ settled: () => ready && !busy && !pending && classified === inkVersion });
$('#model-about').textContent = DIGITS_MODEL.about;
isolationNote($('#isolation'));
setState('loading', `loading ${DIGITS_MODEL.file}…`);
// One image is too little work to share between threads; the classifier runs on one.
client.load(DIGITS_MODEL.file, DIGITS_MODEL.file, 1).then(
  (l) => {
    ready = true;
    $('#ops').textContent = opsSummary(l.meta.stats, 'image');
    clearError();
    setState('ready', `ready (${fmtInt(l.memoryBytes / 1024)} KiB of wasm memory): draw a digit`);
  },
  (e) => showError((e as Error).message),
);
