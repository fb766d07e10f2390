"""Golden token ids for trit's SentencePiece tokenizer, from the sentencepiece library itself.

    models/py models/tokenizer_fixture.py <tokenizer.model> <out.json> [--count 400]

Writes the strings, their ids (encode) and the decoded text of those ids. The strings are varied on
purpose: whitespace runs and leading/trailing spaces, tabs and newlines, digits, punctuation, code,
accented Latin, Greek, Cyrillic, CJK, Arabic, emoji (with ZWJ sequences and skin tones), characters
the vocabulary lacks (byte fallback), the empty string, and random mixes of all of them (seeded).
"""
import argparse
import json
import random

import sentencepiece as spm

FIXED = [
    "", " ", "  ", "\n", "\t", "a", "Hello world!", "  two  spaces", "trailing   ", "\n\nnew\nlines\n",
    "tabs\tand\tmore\t", "1234567890", "3.14159 + 2.71828 = 5.85987", "year 2024, 10,000 tokens",
    "def f(x):\n    return x ** 2  # square", "{\"json\": [1, 2, {\"k\": null}]}", "<s> not a control </s>",
    "naïve café résumé", "Ελληνικά", "Русский текст", "中文分词测试", "日本語のテキスト", "한국어", "العربية",
    "😀", "👩‍👩‍👧‍👦 family", "👍🏽 thumbs", "🇫🇷🇩🇪", "mixed 😀 text 中文 and ąść", "\u2581 already a space mark",
    "\u0000\u0001 control bytes", "\U0001F9FF nazar", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "ROMEO:\nBut soft, what light through yonder window breaks?",
    "Once upon a time, there was a little girl named Lily.", "    indented", "a\u00a0b non-breaking", "e\u0301 combining",
]
ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") * 6 + list("0123456789") * 3 + list(" ") * 25
    + list("\n\t.,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`") + list("éèàüöäßñçøåąśćżźłĳœ") + list("αβγδЖЗИЙ中文字日本한국ع")
    + ["😀", "🚀", "👍🏽", "❤️", "\u2581", "\u00a0", "\u200b", "\U0001F9FF", "𝔘"]
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=400)
    a = ap.parse_args()
    sp = spm.SentencePieceProcessor(model_file=a.model)
    rnd = random.Random(7)
    strings = list(FIXED)
    while len(strings) < a.count:
        n = rnd.choice([1, 2, 3, 5, 8, 13, 21, 40, 80])
        strings.append("".join(rnd.choice(ALPHABET) for _ in range(n)))
    cases = []
    for s in strings:
        ids = sp.encode(s)
        cases.append({"text": s, "ids": ids, "decoded": sp.decode(ids)})
    # Decoding id lists a generation produces: after <s>, around </s>, with <unk>, bytes first.
    rid = random.Random(11)
    decode_cases = []
    for c in cases[:60]:
        for ids in ([sp.bos_id()] + c["ids"], [sp.bos_id()] + c["ids"] + [sp.eos_id()] + c["ids"], [sp.unk_id()] + c["ids"],
                    [sp.piece_to_id("<0x41>")] + c["ids"], [rid.randrange(3, sp.get_piece_size()) for _ in range(8)]):
            decode_cases.append({"ids": ids, "decoded": sp.decode(ids)})
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"tokenizer": a.model.split("/")[-2] + "/" + a.model.split("/")[-1], "sentencepiece": spm.__version__, "cases": cases, "decode_cases": decode_cases}, f, ensure_ascii=False, indent=0)
    print(f"{len(cases)} cases, {sum(len(c['ids']) for c in cases)} ids")


if __name__ == "__main__":
    main()
