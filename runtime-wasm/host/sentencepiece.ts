/**
 * @fileoverview SentencePiece BPE tokenizers (the `tokenizer.model` of Llama, Mistral and the
 * MatMul-free LMs): the model file read with a small protobuf wire reader (proto-wire.ts), encode and decode as the sentencepiece
 * library does them for BPE models with byte fallback.
 *
 * Encode: the identity normaliser (spaces → U+2581 "▁", a dummy "▁" prefix), one symbol per
 * code point, then BPE — repeatedly merge the adjacent pair whose concatenation is a vocabulary
 * piece with the highest score, the leftmost among equals — and last, byte fallback: a symbol that
 * is not a piece becomes the `<0xXX>` pieces of its UTF-8 bytes. Decode: pieces joined, "▁" → " ",
 * byte pieces gathered and decoded as UTF-8, the dummy prefix's space dropped.
 * Checked id for id against Debian's python3-sentencepiece on a fixture of varied strings
 * (test/runtime-wasm/tokenizers/sentencepiece.test.ts).
 */
import { fields, float, int, message, str } from './proto-wire.js';
import { budget } from '../../common/budget.js';
import { TritError } from '../../common/errors.js';
import type { Tokenizer } from './tokenizer.js';

/** The parts of sentencepiece_model.proto that encoding and decoding use (field numbers as
 *  upstream; proto2 defaults as upstream declares them: a file that leaves a flag unset means its
 *  default). Unknown fields are skipped, as protobuf readers do. */
interface ModelProto {
  pieces: Piece[];
  trainerSpec: { modelType: number; byteFallback: boolean };
  normalizerSpec: { name: string; addDummyPrefix: boolean; removeExtraWhitespaces: boolean; escapeWhitespaces: boolean };
}

function readModelProto(bytes: Uint8Array): ModelProto {
  const m: ModelProto = {
    pieces: [],
    trainerSpec: { modelType: 1, byteFallback: false },
    normalizerSpec: { name: '', addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true },
  };
  for (const f of fields(bytes)) {
    if (f.no === 1) {
      const p: Piece = { piece: '', score: 0, type: NORMAL };
      for (const g of fields(message(f))) {
        if (g.no === 1) p.piece = str(g);
        else if (g.no === 2) p.score = float(g);
        else if (g.no === 3) p.type = int(g);
      }
      m.pieces.push(p);
    } else if (f.no === 2) {
      for (const g of fields(message(f))) {
        if (g.no === 3) m.trainerSpec.modelType = int(g);
        else if (g.no === 35) m.trainerSpec.byteFallback = int(g) !== 0;
      }
    } else if (f.no === 3) {
      const ns = m.normalizerSpec;
      for (const g of fields(message(f))) {
        if (g.no === 1) ns.name = str(g);
        else if (g.no === 3) ns.addDummyPrefix = int(g) !== 0;
        else if (g.no === 4) ns.removeExtraWhitespaces = int(g) !== 0;
        else if (g.no === 5) ns.escapeWhitespaces = int(g) !== 0;
      }
    }
  }
  return m;
}

/** SentencePiece piece types (tokenizer.json's vocabularies are mapped onto them). */
export const NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6;
const BPE = 2;
const SPACE = '\u2581';
const UTF8 = new TextEncoder();

export interface Piece {
  piece: string;
  score: number;
  type: number;
}

export interface SentencePieceTokenizer extends Tokenizer {
  /** Ids of `<s>`, `</s>` and `<unk>` (−1 when the model has none). */
  bos: number;
  eos: number;
  unk: number;
  pieces: string[];
}

/** Reads a `tokenizer.model` (SentencePiece ModelProto). */
export function loadSentencePiece(bytes: Uint8Array, file = 'tokenizer.model'): SentencePieceTokenizer {
  let m: ModelProto;
  try {
    m = readModelProto(bytes);
  } catch (e) {
    throw new TritError(`not a SentencePiece model: ${(e as Error).message}`, { file }, 'expected the tokenizer.model that came with the checkpoint');
  }
  const pieces = m.pieces;
  if (!pieces.length)
    throw new TritError('the SentencePiece model has no pieces', { file }, 'expected the tokenizer.model that came with the checkpoint');
  if (pieces.length > budget().vocab) throw new TritError(`${pieces.length} pieces; trit reads at most ${budget().vocab}`, { file });
  const ts = m.trainerSpec,
    ns = m.normalizerSpec;
  const modelType = ts.modelType || 1; // UNIGRAM when unset
  if (modelType !== BPE)
    throw new TritError(
      `SentencePiece model type ${modelType} is not supported (only BPE, type 2)`,
      { file },
      'Llama, Mistral and MatMul-free LM tokenizers are BPE',
    );
  const name = ns.name || 'identity';
  if (name !== 'identity') throw new TritError(`SentencePiece normaliser '${name}' is not supported (only 'identity')`, { file });
  // sentencepiece cuts user-defined pieces out of the text before BPE; BPE alone would not always
  // produce them, so such a model is refused rather than tokenized differently.
  const userDefined = pieces.find((p) => p.type === USER_DEFINED);
  if (userDefined) throw new TritError(`user-defined pieces (such as ${JSON.stringify(userDefined.piece)}) are not supported yet`, { file });
  return new BpeTokenizer(pieces, {
    byteFallback: ts.byteFallback === true,
    addDummyPrefix: ns.addDummyPrefix === true,
    removeExtraWhitespaces: ns.removeExtraWhitespaces === true,
    escapeWhitespaces: ns.escapeWhitespaces === true,
  });
}

export interface BpeOptions {
  byteFallback: boolean;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

/** Priority of merging two adjacent symbols (higher first), or undefined when they do not merge. */
export type PairScore = (left: string, right: string) => number | undefined;

/** A max-heap of candidate merges: higher score first, then the leftmost. */
class Agenda {
  private readonly items: { left: number; right: number; score: number; len: number }[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(a: Agenda['items'][number], b: Agenda['items'][number]): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }
  push(x: Agenda['items'][number]): void {
    const h = this.items;
    h.push(x);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Agenda['items'][number] {
    const h = this.items,
      top = h[0],
      last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** BPE over code points with byte fallback. SentencePiece ranks a merge by the score of the piece
 *  it makes (the default); tokenizer.json files rank pairs by their line in "merges" (./tokenizer-json.ts). */
export class BpeTokenizer implements SentencePieceTokenizer {
  readonly size: number;
  readonly pieces: string[];
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  /** Pieces BPE may merge into (normal ones), by text. */
  private readonly mergeable = new Map<string, number>();
  private readonly scores: Float32Array;
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly types: Uint8Array;

  private readonly pairScore: PairScore;

  constructor(
    pieces: Piece[],
    private readonly o: BpeOptions,
    pairScore?: PairScore,
  ) {
    this.size = pieces.length;
    this.pieces = pieces.map((p) => p.piece);
    this.scores = Float32Array.from(pieces, (p) => p.score);
    this.types = Uint8Array.from(pieces, (p) => p.type || NORMAL);
    let bos = -1,
      eos = -1,
      unk = -1;
    pieces.forEach((p, i) => {
      const t = p.type || NORMAL;
      if (t === NORMAL) {
        if (!this.mergeable.has(p.piece)) this.mergeable.set(p.piece, i);
      } else if (t === BYTE) {
        const b = /^<0x([0-9A-Fa-f]{2})>$/.exec(p.piece);
        if (b) this.byteIds[parseInt(b[1], 16)] = i;
      } else if (t === UNKNOWN) unk = i;
      else if (t === CONTROL && p.piece === '<s>') bos = i;
      else if (t === CONTROL && p.piece === '</s>') eos = i;
    });
    [this.bos, this.eos, this.unk] = [bos, eos, unk];
    this.pairScore =
      pairScore ??
      ((l, r) => {
        const id = this.mergeable.get(l + r);
        return id !== undefined && this.types[id] !== UNUSED ? this.scores[id] : undefined;
      });
  }

  /** Text → the string BPE works on. */
  private normalize(text: string): string {
    let s = text;
    if (this.o.removeExtraWhitespaces) s = s.replace(/ +/g, ' ').replace(/^ | $/g, '');
    if (!s.length) return '';
    if (this.o.escapeWhitespaces) s = s.replace(/ /g, SPACE);
    return this.o.addDummyPrefix ? (this.o.escapeWhitespaces ? SPACE : ' ') + s : s;
  }

  encode(text: string): number[] {
    const norm = this.normalize(text);
    if (!norm) return [];
    // One symbol per code point, linked left to right; a merged symbol keeps the left index.
    const sym = Array.from(norm);
    const n = sym.length;
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const agenda = new Agenda();
    const consider = (l: number, r: number) => {
      if (l < 0 || r < 0) return;
      const score = this.pairScore(sym[l], sym[r]);
      if (score !== undefined) agenda.push({ left: l, right: r, score, len: sym[l].length + sym[r].length });
    };
    for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
    while (agenda.size) {
      const { left, right, len } = agenda.pop();
      // Stale: one side was merged away or grew since this pair was queued.
      if (!sym[left] || !sym[right] || next[left] !== right || sym[left].length + sym[right].length !== len) continue;
      sym[left] += sym[right];
      sym[right] = '';
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      consider(prev[left], left);
      consider(left, next[left]);
    }
    const ids: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]) {
      const id = this.mergeable.get(sym[i]);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (this.o.byteFallback) {
        for (const b of UTF8.encode(sym[i])) {
          if (this.byteIds[b] < 0) throw new TritError(`the tokenizer has no byte piece <0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
          ids.push(this.byteIds[b]);
        }
      } else {
        if (this.unk < 0) throw new TritError(`${JSON.stringify(sym[i])} is not in the vocabulary and the tokenizer has no <unk>`);
        if (ids.at(-1) !== this.unk) ids.push(this.unk); // sentencepiece merges runs of unknowns
      }
    }
    return ids;
  }

  decode(ids: number[]): string {
    let out = '';
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) out += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes = [];
    };
    // The dummy prefix's space is dropped from the first piece that is not a control token
    // (so also after <s>), as sentencepiece does.
    let first = true;
    for (const id of ids) {
      const t = this.types[id];
      if (t === CONTROL || t === UNUSED) {
        flush();
        continue;
      }
      const wasFirst = first;
      first = false;
      if (t === undefined) {
        flush();
        out += '\uFFFD';
        continue;
      }
      if (t === BYTE) {
        bytes.push(parseInt(this.pieces[id].slice(3, 5), 16));
        continue;
      }
      flush();
      if (t === UNKNOWN) {
        out += ' \u2047 ';
        continue;
      }
      let p = this.pieces[id].replace(/\u2581/g, ' ');
      if (wasFirst && this.o.addDummyPrefix && p.startsWith(' ')) p = p.slice(1);
      out += p;
    }
    flush();
    return out;
  }
}
