/**
 * tokenizer.json (runtime-wasm/host/tokenizer-json.ts): the Llama/Mistral kind of file, as the
 * MatMul-free LM repositories ship it beside tokenizer.model. The file is written from the Mistral
 * tokenizer.model by the trainer (models/trit_models/tokenizer_json.py, merges ranked by the merged
 * piece's score); read by trit, it must give the sentencepiece library's ids and text on the same
 * fixture as the SentencePiece tokenizer. Other kinds of tokenizer.json are refused by name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizerJson } from '../../../runtime-wasm/host/tokenizer-json.js';
import type { SentencePieceTokenizer } from '../../../runtime-wasm/host/sentencepiece.js';

const ROOT = join(import.meta.dirname, '../../..');
const MODEL =
  [
    join(ROOT, '../shared/data/tokenizers/mistral-7b-v0.1/tokenizer.model'),
    join(process.cwd(), '../shared/data/tokenizers/mistral-7b-v0.1/tokenizer.model'),
  ].find((p) => existsSync(p)) ?? '../shared/data/tokenizers/mistral-7b-v0.1/tokenizer.model';
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'mistral-7b-v0.1.json'), 'utf8')) as {
  cases: { text: string; ids: number[]; decoded: string }[];
  decode_cases: { ids: number[]; decoded: string }[];
};
const out = join(mkdtempSync(join(tmpdir(), 'trit-tokjson-')), 'tokenizer.json');
let text = '';
let tk: SentencePieceTokenizer;

beforeAll(() => {
  const code =
    `import json, sys; sys.path.insert(0, 'models')\nfrom trit_models.tokenizer_json import sentencepiece_to_tokenizer_json as f\n` +
    `json.dump(f(${JSON.stringify(MODEL)}), open(${JSON.stringify(out)}, 'w'), ensure_ascii=False)`;
  const r = spawnSync(join(ROOT, 'models/py'), ['-c', code], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`writing tokenizer.json failed (run models/setup.sh first?):\n${r.stderr}`);
  text = readFileSync(out, 'utf8');
  tk = loadTokenizerJson(text, out);
});

describe('tokenizer.json (Llama/Mistral BPE with byte fallback) = the sentencepiece library', () => {
  it('reads 32,000 tokens, <unk> <s> </s> at 0 1 2, 58,980 merges', () => {
    expect(tk.size).toBe(32000);
    expect([tk.unk, tk.bos, tk.eos]).toEqual([0, 1, 2]);
    expect(JSON.parse(text).model.merges.length).toBe(58980);
  });

  it("encodes all 400 fixture strings to the library's ids and decodes 700 id lists to its text", () => {
    const enc = fixture.cases.filter((c) => JSON.stringify(tk.encode(c.text)) !== JSON.stringify(c.ids));
    for (const c of enc.slice(0, 5))
      console.log(`[tokenizer.json] ${JSON.stringify(c.text)}: got ${JSON.stringify(tk.encode(c.text))}, want ${JSON.stringify(c.ids)}`);
    expect(enc.length).toBe(0);
    const dec = [...fixture.cases, ...fixture.decode_cases].filter((c) => tk.decode(c.ids) !== c.decoded);
    expect(dec.length).toBe(0);
  });

  it('also reads the Metaspace form (newer Llama files) and merges given as pairs', () => {
    const j = JSON.parse(text);
    j.normalizer = null;
    j.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
    j.model.merges = j.model.merges.map((m: string) => m.split(' '));
    const t2 = loadTokenizerJson(JSON.stringify(j));
    for (const c of fixture.cases.slice(0, 120)) expect(t2.encode(c.text)).toEqual(c.ids);
  });

  it('refuses other kinds by name', () => {
    const j = JSON.parse(text);
    const variant = (f: (x: Record<string, any>) => void) => {
      const x = structuredClone(j);
      f(x);
      return JSON.stringify(x);
    };
    expect(() =>
      loadTokenizerJson(
        variant((x) => {
          x.model.type = 'WordPiece';
        }),
        'w/tokenizer.json',
      ),
    ).toThrow(/w\/tokenizer\.json: model type "WordPiece" is not supported/);
    expect(() =>
      loadTokenizerJson(
        variant((x) => {
          x.normalizer = null;
          x.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false };
        }),
      ),
    ).toThrow(/pre-tokenizer "ByteLevel" is not supported/);
    expect(() =>
      loadTokenizerJson(
        variant((x) => {
          x.normalizer = { type: 'NFKC' };
        }),
      ),
    ).toThrow(/normaliser "NFKC" is not supported/);
    expect(() =>
      loadTokenizerJson(
        variant((x) => {
          x.added_tokens.push({ id: 5, content: '<tool>', special: false });
        }),
      ),
    ).toThrow(/non-special added token/);
    expect(() => loadTokenizerJson('{"model": ', 'bad.json')).toThrow(/bad\.json: not valid JSON/);
  });
});
