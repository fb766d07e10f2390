/**
 * @fileoverview Hugging Face `tokenizer.json` files of the Llama/Mistral kind — the form the
 * MatMul-free LM repositories ship beside `tokenizer.model`: a BPE model with byte fallback over
 * code points, spaces turned into "▁" with one "▁" put in front (either as a Prepend + Replace
 * normaliser, the "legacy" form, or as a Metaspace pre-tokenizer that does not split), and the
 * matching decoder. Merges are ranked by their line in "merges" (earlier first, the leftmost among
 * equals), as the tokenizers library does; the rest — the symbol walk, byte fallback, decoding — is
 * the SentencePiece tokenizer's (./sentencepiece.ts).
 *
 * Other tokenizer.json kinds (byte-level GPT-2 BPE, WordPiece, Unigram, pre-tokenizers that split)
 * are refused by name rather than tokenized differently.
 */
import { budget } from '../../common/budget.js';
import { TritError } from '../../common/errors.js';
import { BpeTokenizer, BYTE, CONTROL, NORMAL, UNKNOWN, type Piece, type SentencePieceTokenizer } from './sentencepiece.js';

const SPACE = '\u2581';

interface Json {
  [k: string]: unknown;
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads a tokenizer.json (its text). */
export function loadTokenizerJson(text: string, file = 'tokenizer.json'): SentencePieceTokenizer {
  let j: Json;
  try {
    j = JSON.parse(text) as Json;
  } catch (e) {
    throw new TritError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!isObj(j)) throw new TritError('not a tokenizer.json: the file is not a JSON object', { file });
  const fail = (what: string): never => {
    throw new TritError(
      `${what} is not supported`,
      { file },
      'trit reads the Llama/Mistral kind of tokenizer.json (BPE with byte fallback and "▁" for spaces); give the tokenizer.model instead if the directory has one',
    );
  };
  const model = (j.model ?? {}) as Json;
  if (!isObj(model)) throw new TritError('"model" is not an object', { file });
  if (model.type !== 'BPE') fail(`model type ${JSON.stringify(model.type)}`);
  if (model.continuing_subword_prefix || model.end_of_word_suffix) fail('a BPE with subword prefixes or suffixes');
  if (model.dropout) fail('BPE dropout');
  const vocab = model.vocab as Record<string, number> | undefined;
  if (!isObj(vocab)) throw new TritError('model.vocab is missing or not an object', { file });
  const space = checkSpaces(j, fail, file);

  const entries = Object.entries(vocab);
  const limit = budget().vocab;
  if (entries.length === 0) throw new TritError('model.vocab is empty', { file });
  if (entries.length > limit) throw new TritError(`model.vocab has ${entries.length} tokens; trit reads at most ${limit}`, { file });
  let size = 0;
  for (const [p, id] of entries) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= limit)
      throw new TritError(`vocab id ${JSON.stringify(id)} of ${JSON.stringify(p)} is not a token id (0…${limit - 1})`, { file });
    size = Math.max(size, id + 1);
  }
  const pieces: Piece[] = Array.from({ length: size }, () => ({ piece: '', score: 0, type: NORMAL }));
  const seen = new Uint8Array(size);
  for (const [p, id] of entries) {
    if (seen[id]) throw new TritError(`vocab id ${id} is given twice`, { file });
    seen[id] = 1;
    pieces[id] = { piece: p, score: 0, type: model.byte_fallback && /^<0x[0-9A-F]{2}>$/.test(p) ? BYTE : NORMAL };
  }
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new TritError(`vocab has no token with id ${missing}`, { file });
  const unk = typeof model.unk_token === 'string' ? vocab[model.unk_token] : undefined;
  const added = j.added_tokens ?? [];
  if (!Array.isArray(added)) throw new TritError('"added_tokens" is not a list', { file });
  for (const t of added as Json[]) {
    if (!isObj(t) || typeof t.content !== 'string') throw new TritError(`added token ${JSON.stringify(t)} is not {id, content, special}`, { file });
    const id = t.id as number;
    if (!Number.isSafeInteger(id) || id < 0 || id >= size)
      throw new TritError(`added token ${JSON.stringify(t.content)} has id ${id}, outside the vocabulary`, { file });
    if (!t.special) fail(`a non-special added token (${JSON.stringify(t.content)})`);
    pieces[id] = { piece: String(t.content), score: 0, type: id === unk ? UNKNOWN : CONTROL };
  }
  if (unk !== undefined) pieces[unk].type = UNKNOWN;

  const ranks = new Map<string, number>();
  const merges = (model.merges ?? []) as (string | [string, string])[];
  if (!Array.isArray(merges)) throw new TritError('model.merges is not a list', { file });
  merges.forEach((m, rank) => {
    const pair = Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string');
    if (typeof m !== 'string' && !pair) throw new TritError(`merge ${JSON.stringify(m)} is neither "a b" nor ["a", "b"]`, { file });
    const [l, r] = typeof m === 'string' ? splitMerge(m, file) : m;
    const key = `${l}\u0000${r}`;
    if (!ranks.has(key)) ranks.set(key, rank);
  });
  return new BpeTokenizer(
    pieces,
    { byteFallback: model.byte_fallback === true, addDummyPrefix: space.prefix, removeExtraWhitespaces: false, escapeWhitespaces: true },
    (l, r) => {
      const k = ranks.get(`${l}\u0000${r}`);
      return k === undefined ? undefined : -k;
    },
  );
}

function splitMerge(m: string, file: string): [string, string] {
  const i = m.indexOf(' ');
  if (i <= 0 || m.indexOf(' ', i + 1) >= 0) throw new TritError(`merge ${JSON.stringify(m)} is not two pieces separated by one space`, { file });
  return [m.slice(0, i), m.slice(i + 1)];
}

/** The normaliser / pre-tokenizer pair must only turn spaces into "▁" and put one in front. */
function checkSpaces(j: Json, fail: (what: string) => never, file: string): { prefix: boolean } {
  const norm = j.normalizer as Json | null | undefined;
  const pre = j.pre_tokenizer as Json | null | undefined;
  const shape = (ok: boolean, what: string) => {
    if (!ok) throw new TritError(`${what} is malformed`, { file }, 'the tokenizer.json is corrupt');
  };
  shape(norm == null || isObj(norm), '"normalizer"');
  shape(pre == null || isObj(pre), '"pre_tokenizer"');
  const steps = norm == null ? [] : norm.type === 'Sequence' ? (norm.normalizers as Json[]) : [norm];
  shape(Array.isArray(steps) && steps.every(isObj), '"normalizer"');
  let prefix = false,
    replace = false;
  for (const n of steps) {
    if (n.type === 'Prepend' && n.prepend === SPACE) prefix = true;
    else if (n.type === 'Replace' && (n.pattern as Json)?.String === ' ' && n.content === SPACE) replace = true;
    else fail(`normaliser ${JSON.stringify(n.type)}${n.type === 'Prepend' || n.type === 'Replace' ? ' with these arguments' : ''}`);
  }
  if (pre != null) {
    if (replace || prefix) fail('a "▁" normaliser together with a pre-tokenizer');
    if (pre.type === 'Sequence') shape(Array.isArray(pre.pretokenizers), '"pre_tokenizer"');
    const p = pre.type === 'Sequence' && (pre.pretokenizers as Json[]).length === 1 ? (pre.pretokenizers as Json[])[0] : pre;
    shape(isObj(p), '"pre_tokenizer"');
    if (p.type !== 'Metaspace' || p.replacement !== SPACE) fail(`pre-tokenizer ${JSON.stringify(p.type)}`);
    if (p.split === true) fail('a Metaspace pre-tokenizer that splits at spaces');
    const scheme = (p.prepend_scheme as string | undefined) ?? (p.add_prefix_space === false ? 'never' : 'always');
    if (scheme === 'never') return { prefix: false };
    if (scheme !== 'always' && scheme !== 'first') fail(`Metaspace prepend_scheme ${JSON.stringify(scheme)}`);
    return { prefix: true };
  }
  if (!replace) fail('a tokenizer.json that keeps spaces as they are (no "▁" normaliser)');
  return { prefix };
}
