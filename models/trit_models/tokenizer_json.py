"""A SentencePiece BPE model → the `tokenizer.json` Hugging Face repos ship beside it (the
"legacy" Llama/Mistral form: Prepend "▁" + Replace " "→"▁" normaliser, no pre-tokenizer, BPE with
byte fallback, merges ordered by the score of the merged piece), so a checkpoint directory we
write carries both tokenizer files, as the published ones do."""
from typing import Dict

import sentencepiece as spm

SPACE = "\u2581"


def sentencepiece_to_tokenizer_json(sp_model: str) -> Dict:
    sp = spm.SentencePieceProcessor(model_file=sp_model)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    vocab = {p: i for i, p in enumerate(pieces)}
    # Every way a normal piece splits into two pieces is a merge; SentencePiece prefers the merged
    # piece with the higher score, so merges are ranked by that score (ties: by the parts' ids).
    merges = []
    for i, p in enumerate(pieces):
        if not sp.is_unknown(i) and not sp.is_control(i) and not sp.is_byte(i) and not sp.is_unused(i):
            parts = [(p[:k], p[k:]) for k in range(1, len(p)) if p[:k] in vocab and p[k:] in vocab]
            parts.sort(key=lambda lr: (vocab[lr[0]], vocab[lr[1]]))
            merges.extend((sp.get_score(i), l, r) for l, r in parts)
    merges.sort(key=lambda m: -m[0])  # stable: equal scores keep the order above
    specials = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i in specials],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SPACE},
            {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [sp.bos_id()], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": sp.id_to_piece(sp.unk_id()), "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "vocab": vocab,
                  "merges": [f"{l} {r}" for _, l, r in merges]},
    }
