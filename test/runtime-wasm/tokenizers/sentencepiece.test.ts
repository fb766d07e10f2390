/**
 * trit's SentencePiece tokenizer (runtime-wasm/host/sentencepiece.ts) against the sentencepiece
 * library: a fixture of 400 varied strings encoded and decoded by Debian's python3-sentencepiece
 * with the Mistral tokenizer.model the MatMul-free LMs use (models/tokenizer_fixture.py). Every id
 * and every decoded string must be equal.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs/light.js';
import { loadSentencePiece } from '../../../runtime-wasm/host/sentencepiece.js';

/** A tiny tokenizer.model written with upstream's field numbers (pieces 1, trainer 2, normalizer 3). */
function tinyModel(pieces: { piece: string; score: number; type: number }[], modelType = 2): Uint8Array {
  const M = protobuf.Root.fromJSON({
    nested: {
      M: { fields: { pieces: { rule: 'repeated', type: 'P', id: 1 }, trainer: { type: 'T', id: 2 }, normalizer: { type: 'N', id: 3 } } },
      P: { fields: { piece: { type: 'string', id: 1 }, score: { type: 'float', id: 2 }, type: { type: 'int32', id: 3 } } },
      T: { fields: { modelType: { type: 'int32', id: 3 }, byteFallback: { type: 'bool', id: 35 } } },
      N: { fields: { name: { type: 'string', id: 1 } } },
    },
  }).lookupType('M');
  return M.encode(M.fromObject({ pieces, trainer: { modelType, byteFallback: true }, normalizer: { name: 'identity' } })).finish();
}

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

describe('SentencePiece BPE (Mistral tokenizer.model) = the sentencepiece library', () => {
  const tk = loadSentencePiece(new Uint8Array(readFileSync(MODEL)), MODEL);

  it('reads the model: 32,000 pieces, <unk> <s> </s> at 0 1 2', () => {
    expect(tk.size).toBe(32000);
    expect([tk.unk, tk.bos, tk.eos]).toEqual([0, 1, 2]);
  });

  it("encodes all 400 fixture strings to the library's ids", () => {
    let wrong = 0;
    for (const c of fixture.cases) {
      const got = tk.encode(c.text);
      if (JSON.stringify(got) !== JSON.stringify(c.ids)) {
        if (wrong++ < 5) console.log(`[sentencepiece] ${JSON.stringify(c.text)}: got ${JSON.stringify(got)}, want ${JSON.stringify(c.ids)}`);
      }
    }
    expect(fixture.cases.length).toBe(400);
    expect(wrong).toBe(0);
  });

  it("decodes the library's ids to the library's text (also after <s>, around </s>, <unk> or a byte first)", () => {
    let wrong = 0;
    expect(fixture.decode_cases.length).toBe(300);
    for (const c of [...fixture.cases, ...fixture.decode_cases])
      if (tk.decode(c.ids) !== c.decoded)
        if (wrong++ < 5)
          console.log(`[sentencepiece] decode ${JSON.stringify(c.ids)}: got ${JSON.stringify(tk.decode(c.ids))}, want ${JSON.stringify(c.decoded)}`);
    expect(wrong).toBe(0);
  });

  it('refuses what it would tokenize differently: user-defined pieces, unigram models', () => {
    const base = [
      { piece: '<unk>', score: 0, type: 2 },
      { piece: '\u2581', score: -1, type: 1 },
      { piece: 'a', score: -2, type: 1 },
    ];
    expect(loadSentencePiece(tinyModel(base)).encode('a a')).toEqual([1, 2, 1, 2]);
    expect(() => loadSentencePiece(tinyModel([...base, { piece: '<tool>', score: 0, type: 4 }]), 'u/tokenizer.model')).toThrow(
      /u\/tokenizer\.model: user-defined pieces \(such as "<tool>"\) are not supported yet/,
    );
    expect(() => loadSentencePiece(tinyModel(base, 1))).toThrow(/model type 1 is not supported \(only BPE/);
  });

  it('refuses a file that is not a SentencePiece model, naming it', () => {
    expect(() => loadSentencePiece(new Uint8Array([1, 2, 3, 4, 5]), 'bad/tokenizer.model')).toThrow(
      /bad\/tokenizer\.model: not a SentencePiece model/,
    );
  });
});

describe('the protobuf wire reader on corrupt files', () => {
  it('every truncation and 2,000 random byte flips of a model end in a model or a TritError naming the file', async () => {
    const { TritError } = await import('../../../common/errors.js');
    const { rng } = await import('../../../common/rng.js');
    const good = tinyModel([
      { piece: '<unk>', score: 0, type: 2 },
      { piece: '▁a', score: -1, type: 1 },
      { piece: 'a', score: -2, type: 1 },
      { piece: '▁', score: -3, type: 1 },
    ]);
    const r = rng(7);
    const cases: Uint8Array[] = [];
    for (let n = 0; n < good.length; n++) cases.push(good.subarray(0, n));
    for (let i = 0; i < 2000; i++) {
      const b = good.slice();
      for (let k = 0; k <= Math.floor(r() * 3); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      cases.push(b);
    }
    let parsed = 0,
      refused = 0;
    for (const b of cases) {
      try {
        loadSentencePiece(b, 'x/tokenizer.model').encode('a a');
        parsed++;
      } catch (e) {
        expect(e).toBeInstanceOf(TritError);
        expect((e as Error).message).toMatch(/x\/tokenizer\.model/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(parsed + refused).toBe(cases.length);
  });
});

describe('the protobuf wire reader', () => {
  it('reads int32 as protobuf does: a negative value is ten bytes, and only its low 32 bits count', async () => {
    const { fields, int } = await import('../../../runtime-wasm/host/proto-wire.js');
    // field 1 = -1, field 2 = 150, field 3 = -2147483648, field 4 = 2147483647
    const buf = Uint8Array.from([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x10, 0x96, 0x01, 0x18, 0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff,
      0x01, 0x20, 0xff, 0xff, 0xff, 0xff, 0x07,
    ]);
    expect([...fields(buf)].map(int)).toEqual([-1, 150, -2147483648, 2147483647]);
  });
});
