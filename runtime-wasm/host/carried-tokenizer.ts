/**
 * @fileoverview The tokenizer a model carries (TOKENIZER_SECTION): a SentencePiece tokenizer.model
 * or a tokenizer.json. Its own module, imported only by models that carry one, so a browser bundle
 * of the runtime loads protobufjs in a separate chunk, only when it is needed.
 */
import { loadSentencePiece, type SentencePieceTokenizer } from './sentencepiece.js';
import { loadTokenizerJson } from './tokenizer-json.js';
import type { TokenizerFormat } from './format.js';

export function parseCarriedTokenizer(format: TokenizerFormat, bytes: Uint8Array, file: string): SentencePieceTokenizer {
  return format === 'sentencepiece' ? loadSentencePiece(bytes, file) : loadTokenizerJson(new TextDecoder().decode(bytes), file);
}
