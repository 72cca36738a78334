"""The Whisper architecture and the tensor names of its three on-disk formats.

sapsoup works on one canonical naming: the Hugging Face `WhisperForConditionalGeneration` state dict
(`model.encoder.layers.0.fc1.weight`, ...) without `proj_out.weight`, which is tied to the token
embeddings. Every reader translates its format into those names and every writer out of them, so the
merge maths never sees a format. The mapping tables are in `docs/weight-formats.md`.
"""

from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .errors import CheckpointError


@dataclass(frozen=True)
class WhisperShape:
    """Everything that fixes the tensor shapes of a Whisper model."""

    n_mels: int
    n_vocab: int
    d_model: int
    encoder_layers: int
    decoder_layers: int
    encoder_heads: int
    decoder_heads: int
    encoder_ffn: int
    decoder_ffn: int
    n_audio_ctx: int  # encoder positions (1500 for 30 s)
    n_text_ctx: int  # decoder positions (448)

    @property
    def multilingual(self) -> bool:
        return self.n_vocab >= 51865

    def openai_dims(self, source: str = "") -> Dict[str, int]:
        """`whisper.model.ModelDimensions` fields; openai-whisper cannot hold an FFN width other than 4 x d."""
        for side, width in (("encoder", self.encoder_ffn), ("decoder", self.decoder_ffn)):
            if width != 4 * self.d_model:
                raise CheckpointError(
                    f"{source or 'model'}: {side} FFN width {width} is not 4 x d_model "
                    f"({4 * self.d_model}); openai-whisper cannot hold it, write --to hf instead"
                )
        return dict(
            n_mels=self.n_mels,
            n_audio_ctx=self.n_audio_ctx,
            n_audio_state=self.d_model,
            n_audio_head=self.encoder_heads,
            n_audio_layer=self.encoder_layers,
            n_vocab=self.n_vocab,
            n_text_ctx=self.n_text_ctx,
            n_text_state=self.d_model,
            n_text_head=self.decoder_heads,
            n_text_layer=self.decoder_layers,
        )

    @classmethod
    def from_openai_dims(cls, dims: Dict[str, int]) -> "WhisperShape":
        if dims["n_audio_state"] != dims["n_text_state"]:
            raise CheckpointError("encoder and decoder widths differ; Whisper ties them")
        d = dims["n_audio_state"]
        return cls(
            n_mels=dims["n_mels"],
            n_vocab=dims["n_vocab"],
            d_model=d,
            encoder_layers=dims["n_audio_layer"],
            decoder_layers=dims["n_text_layer"],
            encoder_heads=dims["n_audio_head"],
            decoder_heads=dims["n_text_head"],
            encoder_ffn=4 * d,
            decoder_ffn=4 * d,
            n_audio_ctx=dims["n_audio_ctx"],
            n_text_ctx=dims["n_text_ctx"],
        )

    def hf_config(self) -> Dict[str, int]:
        """The `WhisperConfig` fields that carry the architecture."""
        return dict(
            num_mel_bins=self.n_mels,
            vocab_size=self.n_vocab,
            d_model=self.d_model,
            encoder_layers=self.encoder_layers,
            decoder_layers=self.decoder_layers,
            encoder_attention_heads=self.encoder_heads,
            decoder_attention_heads=self.decoder_heads,
            encoder_ffn_dim=self.encoder_ffn,
            decoder_ffn_dim=self.decoder_ffn,
            max_source_positions=self.n_audio_ctx,
            max_target_positions=self.n_text_ctx,
        )

    @classmethod
    def from_hf_config(cls, config: Dict) -> "WhisperShape":
        return cls(
            n_mels=config["num_mel_bins"],
            n_vocab=config["vocab_size"],
            d_model=config["d_model"],
            encoder_layers=config["encoder_layers"],
            decoder_layers=config["decoder_layers"],
            encoder_heads=config["encoder_attention_heads"],
            decoder_heads=config["decoder_attention_heads"],
            encoder_ffn=config["encoder_ffn_dim"],
            decoder_ffn=config["decoder_ffn_dim"],
            n_audio_ctx=config["max_source_positions"],
            n_text_ctx=config["max_target_positions"],
        )

    def as_dict(self) -> Dict[str, int]:
        return asdict(self)


# (Hugging Face suffix, openai-whisper suffix) inside one attention block.
_ATTENTION = [
    ("q_proj.weight", "query.weight"),
    ("q_proj.bias", "query.bias"),
    ("k_proj.weight", "key.weight"),  # Whisper's key projection has no bias
    ("v_proj.weight", "value.weight"),
    ("v_proj.bias", "value.bias"),
    ("out_proj.weight", "out.weight"),
    ("out_proj.bias", "out.bias"),
]
_LAYER_NORM = [("weight", "weight"), ("bias", "bias")]
_FFN = [
    ("fc1.weight", "mlp.0.weight"),
    ("fc1.bias", "mlp.0.bias"),
    ("fc2.weight", "mlp.2.weight"),
    ("fc2.bias", "mlp.2.bias"),
]


def _layer_pairs(side: str, i: int) -> List[Tuple[str, str]]:
    hf = f"model.{side}.layers.{i}."
    oa = f"{side}.blocks.{i}."
    pairs = [(hf + "self_attn." + h, oa + "attn." + o) for h, o in _ATTENTION]
    pairs += [(hf + "self_attn_layer_norm." + h, oa + "attn_ln." + o) for h, o in _LAYER_NORM]
    if side == "decoder":
        pairs += [(hf + "encoder_attn." + h, oa + "cross_attn." + o) for h, o in _ATTENTION]
        pairs += [(hf + "encoder_attn_layer_norm." + h, oa + "cross_attn_ln." + o) for h, o in _LAYER_NORM]
    pairs += [(hf + h, oa + o) for h, o in _FFN]
    pairs += [(hf + "final_layer_norm." + h, oa + "mlp_ln." + o) for h, o in _LAYER_NORM]
    return pairs


def hf_openai_pairs(shape: WhisperShape) -> List[Tuple[str, str]]:
    """Every canonical (Hugging Face) name with its openai-whisper name, in a fixed order."""
    pairs = [
        ("model.encoder.conv1.weight", "encoder.conv1.weight"),
        ("model.encoder.conv1.bias", "encoder.conv1.bias"),
        ("model.encoder.conv2.weight", "encoder.conv2.weight"),
        ("model.encoder.conv2.bias", "encoder.conv2.bias"),
        ("model.encoder.embed_positions.weight", "encoder.positional_embedding"),
    ]
    for i in range(shape.encoder_layers):
        pairs += _layer_pairs("encoder", i)
    pairs += [
        ("model.encoder.layer_norm.weight", "encoder.ln_post.weight"),
        ("model.encoder.layer_norm.bias", "encoder.ln_post.bias"),
        ("model.decoder.embed_tokens.weight", "decoder.token_embedding.weight"),
        ("model.decoder.embed_positions.weight", "decoder.positional_embedding"),
    ]
    for i in range(shape.decoder_layers):
        pairs += _layer_pairs("decoder", i)
    pairs += [
        ("model.decoder.layer_norm.weight", "decoder.ln.weight"),
        ("model.decoder.layer_norm.bias", "decoder.ln.bias"),
    ]
    return pairs


def canonical_names(shape: WhisperShape) -> List[str]:
    return [hf for hf, _ in hf_openai_pairs(shape)]


def canonical_shapes(shape: WhisperShape) -> Dict[str, Tuple[int, ...]]:
    """The shape every canonical tensor must have."""
    d = shape.d_model
    shapes = {}
    for name in canonical_names(shape):
        side = "encoder" if name.startswith("model.encoder.") else "decoder"
        ffn = shape.encoder_ffn if side == "encoder" else shape.decoder_ffn
        if name.endswith("conv1.weight"):
            s = (d, shape.n_mels, 3)
        elif name.endswith("conv2.weight"):
            s = (d, d, 3)
        elif name == "model.encoder.embed_positions.weight":
            s = (shape.n_audio_ctx, d)
        elif name == "model.decoder.embed_positions.weight":
            s = (shape.n_text_ctx, d)
        elif name == "model.decoder.embed_tokens.weight":
            s = (shape.n_vocab, d)
        elif name.endswith("fc1.weight"):
            s = (ffn, d)
        elif name.endswith("fc1.bias"):
            s = (ffn,)
        elif name.endswith("fc2.weight"):
            s = (d, ffn)
        elif name.endswith(".weight") and "_proj" in name:
            s = (d, d)
        else:
            s = (d,)
        shapes[name] = s
    return shapes


# Canonical name -> (CTranslate2 variable, which third/half of its rows) within one layer.
def _ct2_attention(hf: str, ct: str, fused_qkv: bool) -> Dict[str, Tuple[str, int, int]]:
    """Self-attention fuses q;k;v in linear_0; cross-attention keeps q apart and fuses k;v."""
    if fused_qkv:
        return {
            hf + "q_proj.weight": (ct + "linear_0/weight", 0, 3),
            hf + "q_proj.bias": (ct + "linear_0/bias", 0, 3),
            hf + "k_proj.weight": (ct + "linear_0/weight", 1, 3),
            hf + "v_proj.weight": (ct + "linear_0/weight", 2, 3),
            hf + "v_proj.bias": (ct + "linear_0/bias", 2, 3),
            hf + "out_proj.weight": (ct + "linear_1/weight", 0, 1),
            hf + "out_proj.bias": (ct + "linear_1/bias", 0, 1),
        }
    return {
        hf + "q_proj.weight": (ct + "linear_0/weight", 0, 1),
        hf + "q_proj.bias": (ct + "linear_0/bias", 0, 1),
        hf + "k_proj.weight": (ct + "linear_1/weight", 0, 2),
        hf + "v_proj.weight": (ct + "linear_1/weight", 1, 2),
        hf + "v_proj.bias": (ct + "linear_1/bias", 1, 2),
        hf + "out_proj.weight": (ct + "linear_2/weight", 0, 1),
        hf + "out_proj.bias": (ct + "linear_2/bias", 0, 1),
    }


def ct2_sources(shape: WhisperShape) -> Dict[str, Optional[Tuple[str, int, int]]]:
    """Canonical name -> (CTranslate2 variable, part index, number of parts).

    `None` marks the encoder position table, which is recomputed rather than read (the
    CTranslate2 copy is rounded to fp16).
    """
    sources: Dict[str, Optional[Tuple[str, int, int]]] = {}
    for side in ("encoder", "decoder"):
        n_layers = shape.encoder_layers if side == "encoder" else shape.decoder_layers
        for i in range(n_layers):
            hf = f"model.{side}.layers.{i}."
            ct = f"{side}/layer_{i}/"
            sources.update(_ct2_attention(hf + "self_attn.", ct + "self_attention/", True))
            sources[hf + "self_attn_layer_norm.weight"] = (ct + "self_attention/layer_norm/gamma", 0, 1)
            sources[hf + "self_attn_layer_norm.bias"] = (ct + "self_attention/layer_norm/beta", 0, 1)
            if side == "decoder":
                sources.update(_ct2_attention(hf + "encoder_attn.", ct + "attention/", False))
                sources[hf + "encoder_attn_layer_norm.weight"] = (ct + "attention/layer_norm/gamma", 0, 1)
                sources[hf + "encoder_attn_layer_norm.bias"] = (ct + "attention/layer_norm/beta", 0, 1)
            sources[hf + "fc1.weight"] = (ct + "ffn/linear_0/weight", 0, 1)
            sources[hf + "fc1.bias"] = (ct + "ffn/linear_0/bias", 0, 1)
            sources[hf + "fc2.weight"] = (ct + "ffn/linear_1/weight", 0, 1)
            sources[hf + "fc2.bias"] = (ct + "ffn/linear_1/bias", 0, 1)
            sources[hf + "final_layer_norm.weight"] = (ct + "ffn/layer_norm/gamma", 0, 1)
            sources[hf + "final_layer_norm.bias"] = (ct + "ffn/layer_norm/beta", 0, 1)
    for conv in ("conv1", "conv2"):
        for part in ("weight", "bias"):
            sources[f"model.encoder.{conv}.{part}"] = (f"encoder/{conv}/{part}", 0, 1)
    sources["model.encoder.embed_positions.weight"] = None
    sources["model.encoder.layer_norm.weight"] = ("encoder/layer_norm/gamma", 0, 1)
    sources["model.encoder.layer_norm.bias"] = ("encoder/layer_norm/beta", 0, 1)
    sources["model.decoder.embed_tokens.weight"] = ("decoder/embeddings/weight", 0, 1)
    sources["model.decoder.embed_positions.weight"] = ("decoder/position_encodings/encodings", 0, 1)
    sources["model.decoder.layer_norm.weight"] = ("decoder/layer_norm/gamma", 0, 1)
    sources["model.decoder.layer_norm.bias"] = ("decoder/layer_norm/beta", 0, 1)
    return sources


def sinusoids(length: int, channels: int) -> np.ndarray:
    """Whisper's fixed encoder position table in float32, computed by openai-whisper itself.

    Recomputing it (rather than copying a stored one) keeps it bit-identical to the buffer that
    `whisper.model.AudioEncoder` builds, whatever precision a source file stored it in (so reading
    a CTranslate2 model, which stores it in its own precision, imports torch).
    """
    from whisper.model import sinusoids as whisper_sinusoids

    return whisper_sinusoids(length, channels).float().numpy()
