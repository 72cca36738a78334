"""Write canonical Whisper tensors as an openai-whisper checkpoint or a Hugging Face folder.

Both writers take canonical tensors (see `layout.py`) as numpy arrays (`arrays.py`), as a dict or
as (name, array) pairs that arrive one at a time (a merge streams its averaged tensors in the order `hf_tensor_order` gives),
and write them atomically: into a temporary file or folder beside the target, renamed at the end,
so an interrupted write leaves nothing that looks like a checkpoint. Each writer hands the sha256 of
the weight files it wrote to `before_publish` (the merge's provenance), hashing the Hugging Face
safetensors file while writing it. Neither imports torch (`safetensors_writer.py`, `pytorch_file.py`).
`convert_checkpoint` chains a reader and a writer.

Precision: the encoder's position table is Whisper's fixed sinusoid; it is always stored in float32
(OpenAI's own fp16 files round it, which moves greedy output). Every other tensor is cast to the
requested dtype.
"""

import json
import os
import shutil
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from sapsoup.atomic import atomic_path

from . import layout, pytorch_file
from .arrays import dtype_from_name, is_float
from .checkpoints import Checkpoint, open_checkpoint, read_arrays
from .errors import CheckpointError
from .hashing import sha256_file
from .layout import WhisperShape
from .safetensors_writer import StreamingWriter, TensorSpec, file_order

Tensors = Union[Mapping[str, np.ndarray], Iterable[Tuple[str, np.ndarray]]]
Publish = Callable[[str, Dict[str, str]], None]  # (temporary path, {weight file name: sha256})

DTYPES = {"fp16": "float16", "fp32": "float32", "bf16": "bfloat16"}  # numpy dtype names, resolved on use
FIXED_FP32 = {"model.encoder.embed_positions.weight"}


def default_target(out: str) -> str:
    """`.pt` files are openai-whisper checkpoints; anything else is a Hugging Face folder."""
    return "openai" if out.endswith((".pt", ".pth")) else "hf"


def default_dtype(to: str) -> str:
    return "fp16" if to == "openai" else "fp32"


def output_dtype(name: str, dtype: str) -> np.dtype:
    return dtype_from_name(DTYPES["fp32"] if name in FIXED_FP32 else DTYPES[dtype])


def cast(name: str, array: np.ndarray, dtype: str) -> np.ndarray:
    """`array` as stored in a `dtype` file (rounded to nearest even); integers stay as they are."""
    if not is_float(array):
        return array
    return np.ascontiguousarray(array.astype(output_dtype(name, dtype), copy=False))


def in_order(tensors: Tensors, names: List[str]) -> Iterator[Tuple[str, np.ndarray]]:
    """(name, tensor) pairs: a dict is read in `names` order; pairs are passed on as they come."""
    if isinstance(tensors, Mapping):
        return ((name, tensors[name]) for name in names)
    return iter(tensors)


def hf_tensor_specs(shape: WhisperShape, dtype: str) -> List[TensorSpec]:
    """The tensors of a Hugging Face `model.safetensors`, in the order they lie in the file."""
    shapes = layout.canonical_shapes(shape)
    return file_order(TensorSpec(name, output_dtype(name, dtype), tuple(shapes[name])) for name in layout.canonical_names(shape))


def hf_tensor_order(shape: WhisperShape, dtype: str) -> List[str]:
    """The order in which `write_hf` takes streamed tensors."""
    return [spec.name for spec in hf_tensor_specs(shape, dtype)]


def tensor_order(to: str, shape: WhisperShape, dtype: str) -> List[str]:
    """The order in which `write(out, to, ...)` takes streamed tensors (any order for openai)."""
    return hf_tensor_order(shape, dtype) if to == "hf" else layout.canonical_names(shape)


def prepare_output(out: str, force: bool, inputs: Sequence[str] = ()) -> None:
    """Refuse an output that would replace or land inside one of `inputs` (or hold one), an
    existing output without `force`, and a missing parent folder, before anything is written."""
    check_output_apart(out, inputs)
    if os.path.exists(out) and not force:
        raise CheckpointError(f"{out}: already exists (use --force to replace it)")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise CheckpointError(f"{out}: folder {parent} does not exist")


def check_output_apart(out: str, inputs: Sequence[str], what: str = "the output") -> None:
    """An output must not be an input, lie inside one, or contain one.

    Replacing an output deletes what was there: with `--force`, `-o` naming an input (or the run
    folder the inputs come from) would delete the checkpoints being read, and a provenance record
    would then describe files that no longer exist. Paths are compared after resolving symbolic
    links, and existing files also by identity (a hard link is the same file).
    """
    target = os.path.realpath(out)
    for source in inputs:
        where = os.path.realpath(source)
        same = target == where
        if not same and os.path.exists(out) and os.path.exists(source):
            try:
                same = os.path.samefile(out, source)
            except OSError:
                pass
        if same:
            raise CheckpointError(f"{out}: {what} is the input {source}; write it to another path")
        if _inside(target, where):
            raise CheckpointError(f"{out}: {what} lies inside the input {source}; write it elsewhere")
        if _inside(where, target):
            raise CheckpointError(
                f"{out}: {what} would hold the input {source} (replacing it deletes that input); write it elsewhere"
            )


def _inside(path: str, folder: str) -> bool:
    try:
        return path != folder and os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


def write_openai(
    out: str,
    shape: WhisperShape,
    tensors: Tensors,
    dtype: str = "fp16",
    before_publish: Optional[Publish] = None,
) -> None:
    """An openai-whisper checkpoint that `whisper.load_model(out)` loads.

    `before_publish(tmp_path, digests)` runs once the file is complete and before it takes its name
    (the merge uses it to write its provenance). Streamed tensors are cast as they arrive, so an
    fp16 output never holds the float32 model beside it. The file is written without torch
    (`pytorch_file.py`): importing torch would cost more than the rest of a merge.
    """
    dims = shape.openai_dims(out)
    received = {name: cast(name, array, dtype) for name, array in in_order(tensors, layout.canonical_names(shape))}
    state = {oa: received.pop(hf) for hf, oa in layout.hf_openai_pairs(shape)}
    payload = {"dims": dims, "model_state_dict": state}
    with atomic_path(out) as tmp:
        pytorch_file.save(payload, tmp, archive_name=os.path.splitext(os.path.basename(out))[0])
        if before_publish:
            before_publish(tmp, {os.path.basename(out): sha256_file(tmp)})


def hf_config(shape: WhisperShape, source_config: Optional[Dict] = None, dtype: str = "fp32") -> Dict:
    """A `WhisperConfig` for `shape`, keeping a Hugging Face source's other settings.

    A Hugging Face source's config is complete already (token ids included); only other sources
    need transformers' defaults and openai-whisper's token ids (importing either costs seconds,
    which a merge of Hugging Face folders need not pay).
    """
    if source_config and source_config.get("model_type") == "whisper":
        config = {k: v for k, v in source_config.items() if k not in ("_name_or_path", "transformers_version")}
        config.update(shape.hf_config())
    else:
        from transformers import WhisperConfig

        from .tokenizer import generation_config

        config = WhisperConfig().to_dict()
        config.update(shape.hf_config())
        generation = generation_config(shape)
        for key in ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id", "begin_suppress_tokens", "suppress_tokens"):
            config[key] = generation[key]
    config["architectures"] = ["WhisperForConditionalGeneration"]
    config["tie_word_embeddings"] = True
    config["torch_dtype"] = {"fp16": "float16", "fp32": "float32", "bf16": "bfloat16"}[dtype]
    config.pop("dtype", None)
    return config


PROCESSOR_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "processor_config.json",
    "preprocessor_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "normalizer.json",
    "generation_config.json",
)


def write_hf(
    out: str,
    shape: WhisperShape,
    tensors: Tensors,
    dtype: str = "fp32",
    source: Optional[Checkpoint] = None,
    alignment_heads=None,
    before_publish: Optional[Publish] = None,
) -> None:
    """A complete Hugging Face folder: config, generation config, processor files, safetensors.

    Streamed tensors must come in `hf_tensor_order`; each is written (and hashed) as it arrives.
    Processor files come from a Hugging Face source when it has them, else are built from
    openai-whisper's tokenizer (`tokenizer.py`).
    """
    from .tokenizer import write_processor

    with atomic_path(out, folder=True) as tmp:
        specs = hf_tensor_specs(shape, dtype)
        with StreamingWriter(os.path.join(tmp, "model.safetensors"), specs, metadata={"format": "pt"}) as writer:
            for name, tensor in in_order(tensors, writer.names):
                writer.write(name, cast(name, tensor, dtype))
            digests = {"model.safetensors": writer.finish()}
        source_config = source.config if source is not None and source.format == "hf" else None
        if source is not None and source.format == "ctranslate2" and alignment_heads is None:
            alignment_heads = source.config.get("alignment_heads")
        copied = []
        if source is not None and source.format == "hf":
            for name in PROCESSOR_FILES:
                src = os.path.join(source.path, name)
                if os.path.exists(src):
                    shutil.copyfile(src, os.path.join(tmp, name))
                    copied.append(name)
        if "tokenizer.json" not in copied and "vocab.json" not in copied:
            write_processor(tmp, shape, alignment_heads)
        elif "generation_config.json" not in copied:
            from .tokenizer import generation_config

            with open(os.path.join(tmp, "generation_config.json"), "w", encoding="utf-8") as handle:
                json.dump(generation_config(shape, alignment_heads), handle, indent=2, sort_keys=True)
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as handle:
            json.dump(hf_config(shape, source_config, dtype), handle, indent=2, sort_keys=True)
            handle.write("\n")
        if before_publish:
            before_publish(tmp, digests)


def load_canonical(checkpoint: Checkpoint) -> Dict[str, np.ndarray]:
    """All canonical tensors of one checkpoint, in their stored dtype (for conversion, not merging)."""
    with read_arrays(checkpoint) as get:
        return {name: get(name).copy() for name in layout.canonical_names(checkpoint.shape)}


def write(
    out: str,
    to: str,
    shape: WhisperShape,
    tensors: Tensors,
    dtype: str,
    source: Optional[Checkpoint] = None,
    before_publish: Optional[Publish] = None,
) -> None:
    if to == "openai":
        write_openai(out, shape, tensors, dtype, before_publish)
    elif to == "hf":
        write_hf(out, shape, tensors, dtype, source, before_publish=before_publish)
    else:
        raise CheckpointError(f"{out}: unknown output format {to!r} (openai or hf)")


def convert_checkpoint(
    src: Union[str, Checkpoint], out: str, to: Optional[str] = None, dtype: Optional[str] = None, force: bool = False
) -> Checkpoint:
    """Convert any checkpoint sapsoup reads (a path, or one already opened) into an openai-whisper
    `.pt` or a Hugging Face folder."""
    to = to or default_target(out)
    dtype = dtype or default_dtype(to)
    checkpoint = src if isinstance(src, Checkpoint) else open_checkpoint(src)
    prepare_output(out, force, [checkpoint.path, *checkpoint.weight_files])
    if to == "openai":
        checkpoint.shape.openai_dims(checkpoint.path)  # fail before reading any tensor
    from .merge import check_merged  # the same checks as a merge's output: an fp32 value can overflow fp16

    tensors = in_order(load_canonical(checkpoint), tensor_order(to, checkpoint.shape, dtype))
    write(out, to, checkpoint.shape, check_merged(tensors, [checkpoint], f"{out} (converted)", to, dtype), dtype, checkpoint)
    return checkpoint
