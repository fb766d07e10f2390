/** @fileoverview `trit run`: generate text with a language model, or classify MNIST with a classifier (a model that is not yet a .wasm is compiled first). */
import { TritError } from '../common/errors.js';
import { isDirectory } from '../compiler/util/files.js';
import { watchdog } from './watchdog.js';
import { TritSession } from '../runtime-wasm/host/session.js';
import { intFlag, LOWER, numFlag, type Flags } from './options.js';
import type { Verb } from './verb.js';

export const run: Verb = {
  name: 'run',
  takesModel: true,
  forms: [
    {
      args: '<model.wasm|model>',
      required: ['prompt'],
      options: ['max-tokens', 'seed', 'temperature', 'top-k', 'threads', 'timeout', 'json', 'simd', 'tokenizer', 'vocab', ...LOWER],
      text:
        'Generate text with a language model (a directory or .onnx is compiled first); prints the text, then tokens/s on stderr. ' +
        'SentencePiece models start the prompt with <s> and stop at </s>.',
    },
    {
      args: '<classifier.wasm|.onnx>',
      required: ['mnist'],
      options: ['limit', 'threads', 'timeout', 'json'],
      text: 'Classify the MNIST test set; prints accuracy and images/s.',
    },
  ],
  run: (model, v) => runModel(model!, v),
};

async function loadModel(model: string, v: Flags): Promise<TritSession> {
  const threads = intFlag(v, 'threads', 1, 1);
  if (model.endsWith('.onnx') || isDirectory(model))
    return TritSession.create((await (await import('./compile.js')).buildWasm(model, v)).bytes, { threads, name: model, guard: watchdog() });
  return TritSession.create(model, { threads, name: model, guard: watchdog() });
}

async function runModel(model: string, v: Flags): Promise<number> {
  const s = await loadModel(model, v);
  try {
    if (v.mnist !== undefined) return await runMnist(s, v);
    if (v.prompt === undefined)
      throw new TritError(s.meta.kind === 'classifier' ? 'a classifier needs --mnist <dir>' : 'run needs --prompt "<text>"');
    if (s.meta.kind !== 'lm') throw new TritError('this model is not a language model (it has no recurrent state and token input)', { file: model });
    const stream = !v.json && process.stdout.isTTY;
    if (!v.json) process.stdout.write(v.prompt as string);
    const r = s.generateSync(v.prompt as string, {
      maxTokens: intFlag(v, 'max-tokens', 200),
      seed: intFlag(v, 'seed', 1),
      temperature: numFlag(v, 'temperature', 0.8),
      topK: intFlag(v, 'top-k', 0),
      onToken: stream ? (t) => process.stdout.write(t) : undefined,
    });
    if (v.json) {
      process.stdout.write(
        JSON.stringify({
          text: r.text,
          tokens: r.tokens,
          tokensPerSecond: r.tokensPerSecond,
          prefillTokensPerSecond: r.prefillTokensPerSecond,
          promptTokens: r.promptTokens,
          threads: s.threads,
          threadsInUse: s.threadsInUse,
          threadsNote: s.threadsNote,
          seconds: r.seconds,
        }) + '\n',
      );
    } else {
      if (!stream) process.stdout.write(r.text);
      process.stdout.write('\n');
      process.stderr.write(
        `${r.tokens.length} tokens, ${r.tokensPerSecond.toFixed(1)} tokens/s decode, ${r.prefillTokensPerSecond.toFixed(1)} tokens/s prompt (${threadsLine(s)})\n`,
      );
    }
    return 0;
  } finally {
    await s.close();
  }
}

async function runMnist(s: TritSession, v: Flags): Promise<number> {
  const { readMnistTest } = await import('../compiler/formats/idx.js');
  const { images, labels } = readMnistTest(v.mnist as string, intFlag(v, 'limit', 10000, 1));
  let correct = 0;
  const t0 = performance.now();
  for (let i = 0; i < images.length; i++) {
    if (s.classify(images[i]).label === labels[i]) correct++;
    if (!v.json && process.stderr.isTTY && i % 500 === 0) process.stderr.write(`\r${i}/${images.length}`);
  }
  const secs = (performance.now() - t0) / 1000;
  const r = { images: images.length, correct, accuracy: correct / images.length, imagesPerSecond: images.length / secs, threads: s.threads };
  if (v.json) process.stdout.write(JSON.stringify(r) + '\n');
  else
    process.stdout.write(
      `${process.stderr.isTTY ? '\r' : ''}MNIST test: ${correct}/${images.length} = ${(r.accuracy * 100).toFixed(2)}% correct, ${r.imagesPerSecond.toFixed(0)} images/s (${threadsLine(s)})\n`,
    );
  return 0;
}

/** "2 threads", or "1 thread: <why not the number asked for>". */
function threadsLine(s: TritSession): string {
  // The steps use all threads or one, whichever the session has measured faster (tuner.ts).
  const inUse = s.threadsInUse < s.threads ? `, ${s.threadsInUse} in use: one was faster on this machine just now` : '';
  return `${s.threads} thread${s.threads > 1 ? 's' : ''}${s.threadsNote ? `: ${s.threadsNote}` : ''}${inUse}`;
}
