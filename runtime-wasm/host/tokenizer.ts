/**
 * @fileoverview Text ↔ token ids for the models trit ships: a character vocabulary stored in the
 * model's metadata, or raw bytes for a 256-token model without one.
 */
import { TritError } from '../../common/errors.js';

export interface Tokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  size: number;
  /** Begin- and end-of-sequence ids, for tokenizers that have them. */
  bos?: number;
  eos?: number;
}

export function charTokenizer(vocab: string[]): Tokenizer {
  const index = new Map(vocab.map((c, i) => [c, i]));
  return {
    size: vocab.length,
    encode(text) {
      return Array.from(text, (ch) => {
        const id = index.get(ch);
        if (id === undefined) {
          throw new TritError(
            `the character ${JSON.stringify(ch)} is not in the model's vocabulary`,
            {},
            `this model knows ${vocab.length} characters: ${JSON.stringify(vocab.join(''))}`,
          );
        }
        return id;
      });
    },
    decode(ids) {
      return ids.map((i) => vocab[i] ?? '\uFFFD').join('');
    },
  };
}

export function byteTokenizer(size: number): Tokenizer {
  return {
    size,
    encode(text) {
      const b = Array.from(new TextEncoder().encode(text));
      const bad = b.find((x) => x >= size);
      if (bad !== undefined) throw new TritError(`byte ${bad} is beyond the model's ${size} tokens`);
      return b;
    },
    decode(ids) {
      return new TextDecoder().decode(Uint8Array.from(ids.filter((i) => i < 256)));
    },
  };
}
