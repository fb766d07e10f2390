/**
 * @fileoverview The compiler's Node-side helpers: compile a model file or checkpoint directory with
 * the defaults the CLI uses (calibration beside the model, external data beside it, progress on
 * stderr), and find the files that belong to a model (vocabulary, tokenizer). The CLI, the demo's
 * build and the benchmarks call these; browser code uses `compile.ts` directly.
 */
import { dirname, join, basename, isAbsolute, normalize, sep } from 'node:path';
import { budget } from '../common/budget.js';
import { TritError } from '../common/errors.js';
import { exists, isDirectory, openRegular, readInput, readJson, readRegular, type OpenFile } from './util/files.js';
import { compileCheckpoint, compileOnnx, type Compiled, type CompileOptions } from './compile.js';
import { nodeCheckpointIO } from './frontends/hf/node-io.js';
import { CALIBRATION_FILE, readCalibration } from './verify.js';
import type { CalibSequence } from './lower/calibrate.js';
import type { LowerOptions } from './lower/lower.js';
import { loadSentencePiece } from '../runtime-wasm/host/sentencepiece.js';
import { loadTokenizerJson } from '../runtime-wasm/host/tokenizer-json.js';
import type { TokenizerFormat } from '../runtime-wasm/host/format.js';

export { readInput } from './util/files.js';

export { CALIBRATION_FILE } from './verify.js';

/** Where calibration comes from: the flag, else calibration.safetensors beside the model, else random. */
function resolveCalibration(model: string, flag?: string): { seqs?: CalibSequence[]; source: string; file?: string } {
  const file = flag ?? (exists(besideModel(model, CALIBRATION_FILE)) ? besideModel(model, CALIBRATION_FILE) : undefined);
  if (!file) return { source: 'random' };
  const seqs = readCalibration(readInput(file, 'calibration .safetensors'), file);
  return { seqs, file, source: basename(file) };
}

/** One stderr line saying what the formats were sized from, and what to do when it was random. */
function reportCalibration(c: Compiled, cal: { file?: string }, flag?: string): void {
  const steps = c.ir.meta.calibration_steps;
  if (cal.file) {
    process.stderr.write(`calibration: ${steps} steps from ${cal.file}${flag ? '' : ' (beside the model)'}\n`);
  } else if (c.calibrationSized > 0) {
    process.stderr.write(
      `calibration: ${steps} steps of random inputs (no ${CALIBRATION_FILE} beside the model); ${c.calibrationSized} value formats are sized from it — ` +
        `for a faithful model pass --calibration <file> with representative inputs (docs/golden-format.md)\n`,
    );
  }
}

/** Progress on stderr: a live counter on a terminal; elsewhere one line per stage that took > 2 s. */
export function progress() {
  const tty = process.stderr.isTTY;
  let last = 0;
  const started = new Map<string, number>();
  return (stage: string, done: number, total: number) => {
    const now = Date.now();
    if (!started.has(stage)) started.set(stage, now);
    const took = now - started.get(stage)!;
    if (tty && took > 500 && (done === total || now - last > 200)) {
      last = now;
      process.stderr.write(`\r${stage}: ${done}/${total}${done === total ? '\n' : ''}`);
    } else if (!tty && done === total && took > 2000) {
      process.stderr.write(`${stage}: ${total} done in ${(took / 1000).toFixed(1)} s\n`);
    }
  };
}

/** ONNX external data: files named by the tensors, beside the model (never outside its folder);
 *  read slice by slice, each slice checked against the file's size before it is allocated. */
function externalReader(model: string) {
  const files = new Map<string, OpenFile>();
  return (location: string, offset: number, length: number): Uint8Array => {
    const site = { file: model };
    if (isAbsolute(location) || normalize(location).split(sep).includes('..'))
      throw new TritError(`external data location '${location}' leaves the model's folder`, site, 'external data files must sit beside the model');
    const p = join(dirname(model), location);
    let f = files.get(p);
    if (!f && !exists(p)) throw new TritError(`external data file '${location}' is missing`, site, `put ${location} beside the model`);
    if (!f) files.set(p, (f = openRegular(p, `external data (named by ${model})`, `put ${location} beside the model`)));
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > f.size)
      throw new TritError(
        `external data asks for bytes ${offset}–${offset + length} of '${location}', which has ${f.size}`,
        site,
        'the .data file is truncated or does not belong to this model',
      );
    return f.read(offset, length);
  };
}

/** A model path that is a directory: a Hugging Face checkpoint (config.json + safetensors). */
export function isCheckpointDir(path: string): boolean {
  return isDirectory(path);
}

/** A file that belongs to the model: inside a checkpoint directory, else beside the model file. */
export function besideModel(model: string, file: string): string {
  return isCheckpointDir(model) ? join(model, file) : join(dirname(model), file);
}

/** Compiles a model file or checkpoint directory with the CLI's defaults (calibration beside the
 *  model, progress on stderr). `target` 'fpga' keeps the activation tables block-RAM sized. */
export function compileFile(path: string, calibration?: string, lower?: Partial<LowerOptions>, target: CompileOptions['target'] = 'wasm'): Compiled {
  const cal = resolveCalibration(path, calibration);
  const opts = { file: path, calibration: cal.seqs, calibrationSource: cal.source, onProgress: progress(), lower, target };
  let c: Compiled;
  if (isCheckpointDir(path)) {
    const io = nodeCheckpointIO();
    try {
      c = compileCheckpoint(path.replace(/\/+$/, ''), io, opts);
    } finally {
      io.close();
    }
  } else {
    const bytes = readInput(path, 'model .onnx or a checkpoint directory');
    c = compileOnnx(bytes, { ...opts, externalData: externalReader(path) });
  }
  reportCalibration(c, cal, calibration);
  return c;
}

/** Vocabulary: --vocab, else vocab.json beside the model (undefined when there is none). */
export function vocabFor(model: string, flag?: string): string[] | undefined {
  const path = flag ?? besideModel(model, 'vocab.json');
  if (!flag && !exists(path)) return undefined;
  const v = readJson(path, 'vocab .json', budget().textBytes);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new TritError('expected a JSON array of strings, one per token id', { file: path });
  if (v.length > budget().vocab) throw new TritError(`${v.length} tokens; a vocabulary holds at most ${budget().vocab}`, { file: path });
  return v as string[];
}

/** The tokenizer to carry in the module: --tokenizer, else the model directory's (or the model
 *  file's neighbours') tokenizer.model, else tokenizer.json. Parsed here so a bad one fails the
 *  compile, not the first run. */
export function tokenizerFor(
  model: string,
  flag?: string,
): { format: TokenizerFormat; file: string; bytes: Uint8Array; addBos: boolean; size: number } | undefined {
  const path = flag ?? [besideModel(model, 'tokenizer.model'), besideModel(model, 'tokenizer.json')].find((p) => exists(p));
  if (!path) return undefined;
  const bytes = readRegular(path, 'tokenizer.model or tokenizer.json', budget().textBytes);
  const format: TokenizerFormat = path.endsWith('.json') ? 'tokenizer.json' : 'sentencepiece';
  const tk = format === 'sentencepiece' ? loadSentencePiece(bytes, path) : loadTokenizerJson(new TextDecoder().decode(bytes), path);
  // add_bos_token from tokenizer_config.json (Llama/Mistral tokenizers default to true).
  let addBos = tk.bos >= 0;
  const cfgPath = join(dirname(path), 'tokenizer_config.json');
  if (exists(cfgPath)) {
    const cfg = readJson(cfgPath, 'tokenizer_config.json', budget().textBytes);
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new TritError('expected a JSON object', { file: cfgPath });
    const flagBos = (cfg as Record<string, unknown>).add_bos_token;
    if (flagBos !== undefined && flagBos !== null && typeof flagBos !== 'boolean')
      throw new TritError(`"add_bos_token" must be true or false, got ${JSON.stringify(flagBos)}`, { file: cfgPath });
    addBos = flagBos !== false && tk.bos >= 0;
  }
  return { format, file: basename(path), bytes, addBos, size: tk.size };
}
