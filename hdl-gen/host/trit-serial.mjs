#!/usr/bin/env node
// trit-serial: talks to a trit bitstream on an iCEBreaker over its FTDI UART.
//
//   iceprog build/columns-mnist-up5k/columns-mnist-up5k.bin
//   node hdl-gen/host/trit-serial.mjs --port /dev/ttyUSB1 --design build/columns-mnist-up5k \
//        --mnist ../shared/data/mnist --limit 20
//   node hdl-gen/host/trit-serial.mjs --port /dev/ttyUSB1 --design build/<lm> --tokens 3,14,15
//
// It checks the design's signature (CMD_INFO), loads the data memory (CMD_LOAD: SPRAM cannot be
// initialised by the bitstream), zeroes the state (CMD_RESET) and runs inferences (CMD_RUN),
// quantizing inputs and dequantizing outputs exactly as the simulator and the interpreter do.
// Protocol: docs/verilog.md §Protocol. Needs `npm run build` (it uses trit's dist/ modules).
import { readFileSync, openSync, readSync, writeSync, closeSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { hostQuantize, CMD, ACK } = await import(join(root, 'dist/hdl-gen/src/sim.js'));
const { readMnistTest } = await import(join(root, 'dist/compiler/formats/idx.js'));

const { values: a } = parseArgs({ options: {
  port: { type: 'string', default: '/dev/ttyUSB1' }, design: { type: 'string' }, mnist: { type: 'string' },
  limit: { type: 'string', default: '10' }, tokens: { type: 'string' },
} });
if (!a.design) { console.error('usage: trit-serial.mjs --port /dev/ttyUSB1 --design <build dir> [--mnist <dir> | --tokens 1,2,3]'); process.exit(2); }
const manifestFile = readdirSync(a.design).find((f) => f.endsWith('.hdl.json'));
if (!manifestFile) { console.error(`no *.hdl.json in ${a.design}: build it with trit compile --target verilog`); process.exit(1); }
const m = JSON.parse(readFileSync(join(a.design, manifestFile), 'utf8'));
const dmem = new Uint16Array(readFileSync(join(a.design, m.dmemFile)).buffer.slice(0));

execFileSync('stty', ['-F', a.port, String(m.baud), 'raw', '-echo', 'cs8', '-cstopb', '-parenb']);
const fd = openSync(a.port, 'r+');
const send = (words) => { const b = Buffer.alloc(4 * words.length); words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 * i)); writeSync(fd, b); };
const recv = (n) => {
  const b = Buffer.alloc(4 * n);
  for (let got = 0; got < b.length;) got += readSync(fd, b, got, b.length - got, null);
  return Array.from({ length: n }, (_, i) => b.readUInt32LE(4 * i));
};

send([CMD.info]);
const sig = recv(1)[0];
if (sig !== Number(m.signature)) { console.error(`the board answers signature 0x${sig.toString(16)}, the design is ${m.signature}: flash ${a.design}`); process.exit(1); }
const t0 = Date.now();
const words = [CMD.load];
for (let i = 0; i < dmem.length / 2; i++) words.push(dmem[2 * i] | (dmem[2 * i + 1] << 16));
send(words);
if (recv(1)[0] !== ACK) { console.error('load was not acknowledged'); process.exit(1); }
console.error(`loaded ${dmem.length * 2} bytes of weights and constants in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
send([CMD.reset]); recv(1);

const run = (feeds) => {
  const buf = [CMD.run];
  for (const inp of m.inputs) for (let i = 0; i < inp.count; i++) buf.push(hostQuantize(feeds[inp.name][i], inp.quantize));
  send(buf);
  const out = recv(m.outCount + 1);
  const res = {};
  for (const o of m.outputs) res[o.name] = out.slice(o.offset, o.offset + o.count).map((x) => (o.dequantize ? Math.fround((x | 0) * 2 ** -o.frac) : x | 0));
  return { res, cycles: out[m.outCount] };
};
const argmax = (xs) => xs.reduce((b, v, i) => (v > xs[b] ? i : b), 0);

if (a.mnist) {
  const { images, labels } = readMnistTest(a.mnist, Number(a.limit));
  let right = 0;
  for (let i = 0; i < images.length; i++) {
    const { res, cycles } = run({ [m.inputs[0].name]: Array.from(images[i], (v) => v / 255) });
    const label = argmax(res[m.outputs[0].name]);
    if (label === labels[i]) right++;
    console.log(`image ${i}: ${label} (label ${labels[i]}), ${cycles} cycles`);
  }
  console.log(`${right}/${images.length} correct`);
} else if (a.tokens) {
  for (const id of a.tokens.split(',').map(Number)) {
    const { res, cycles } = run({ [m.inputs[0].name]: [id] });
    const logits = res.logits ?? res[m.outputs.at(-1).name];
    console.log(`token ${id} → next ${argmax(logits)} (greedy), ${cycles} cycles`);
  }
}
closeSync(fd);
