"""A submission from a recipe: checkpoints -> one openai-whisper `.pt` -> the organisers' ZIP.

This is `sapsoup build` as a library function, so that `validate --baseline` (or any other caller)
packs a checkpoint exactly as the command does, without going through the command line.
"""

import contextlib
import hashlib
import os
import tempfile
from typing import Callable, List, Optional

from .archive import MODEL_FILE, ArchiveFile, BuildError, build_archive
from .recipe import PRETRAINED_PREFIX, Recipe


def source_record(path: str) -> dict:
    """What went into a build that needed no merge: the file and its sha256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"method": "none", "inputs": [{"path": path, "format": "openai", "sha256": digest.hexdigest()}]}


def is_openai_file(path: str) -> bool:
    return not path.startswith(PRETRAINED_PREFIX) and os.path.isfile(path)


def check_servable_shapes(sources, target: str) -> None:
    """Refuse, before any tensor is read, a model the archive's openai-whisper cannot hold.

    openai-whisper builds every FFN as 4 x d_model; a Hugging Face model may have another width.
    """
    from .checkpoints import open_checkpoint
    from .sources import expand_sources

    for path in expand_sources(sources):
        shape = open_checkpoint(path).shape
        for side, width in (("encoder", shape.encoder_ffn), ("decoder", shape.decoder_ffn)):
            if width != 4 * shape.d_model:
                raise BuildError(
                    f"{path}: {side} FFN width {width} is not 4 x d_model ({4 * shape.d_model}); "
                    f"a {target} archive runs openai-whisper, which cannot hold such a model"
                )


def prepare_model(recipe: Recipe, staging: str) -> tuple:
    """Turn the recipe's checkpoints into one openai-whisper `.pt`; returns (path, provenance).

    One openai `.pt` is packed as it is; one packaged pretrained model is converted; anything else
    (several checkpoints, a Hugging Face, CTranslate2 or run folder) goes through the merge engine,
    which converts on the way and records what went in.
    """
    from .merge import merge_checkpoints
    from .pretrained import PRETRAINED, write_pretrained

    sources = recipe.checkpoints
    if len(sources) == 1 and is_openai_file(sources[0]):
        return sources[0], source_record(sources[0])
    if len(sources) == 1 and sources[0].startswith(PRETRAINED_PREFIX):
        name = sources[0][len(PRETRAINED_PREFIX):]
        out = os.path.join(staging, "pretrained.pt")
        write_pretrained(name, out, to="openai", dtype=recipe.dtype)
        packages = list(PRETRAINED[name].pip_names)
        return out, {"method": "none", "inputs": [{"path": sources[0], "format": "ctranslate2", "packages": packages}]}
    paths, unpacked = [], {}
    for number, source in enumerate(sources):
        if source.startswith(PRETRAINED_PREFIX):  # the merge engine reads paths: unpack it first, losslessly
            path = os.path.join(staging, f"input-{number}.pt")
            write_pretrained(source[len(PRETRAINED_PREFIX):], path, to="openai", dtype="fp32")
            unpacked[path] = source
            paths.append(path)
        else:
            paths.append(source)
    out = os.path.join(staging, "merged.pt")
    summary = merge_checkpoints(
        paths, out, weights=recipe.weights, normalize=recipe.normalize, to="openai", dtype=recipe.dtype,
        method=recipe.method, show_progress=True,
    )  # fmt: skip
    provenance = dict(summary.provenance)
    # The staging path and the hash of the intermediate file change from build to build; the archive's
    # own model.pt is recorded (with its sha256) under "files" in sapsoup.json instead.
    provenance["output"] = {k: v for k, v in provenance.get("output", {}).items() if k not in ("path", "files")}
    provenance["output"]["path"] = MODEL_FILE
    for record in provenance.get("inputs", []):
        if record.get("path") in unpacked:  # name the packaged model, not its temporary copy
            record["path"] = unpacked[record["path"]]
            record["files"] = [{k: v for k, v in f.items() if k != "path"} for f in record.get("files", [])]
    return out, provenance


def build_submission(
    recipe: Recipe, out: str, force: bool = False, progress=None, on_stage: Optional[Callable[[str], None]] = None
) -> List[ArchiveFile]:
    """Build the recipe's archive at `out`; returns its files (`sapsoup.json` last).

    An existing `out` is refused unless `force`, as `merge` refuses to overwrite its output: a ZIP
    already uploaded, or kept for comparison, is not replaced by accident. Nothing is written at `out`
    until the archive is complete. `progress` (a rich Progress, started here once the merge's own
    display is done) gets the archive's bytes bar.
    """
    from .convert import check_output_apart

    check_output_apart(out, [c for c in recipe.checkpoints if not c.startswith(PRETRAINED_PREFIX)], "the archive")
    if os.path.exists(out) and not force:
        raise BuildError(f"{out}: already exists (use --force to replace it)")
    if os.path.isdir(out):
        raise BuildError(f"{out}: is a folder, not a ZIP file")
    check_servable_shapes([c for c in recipe.checkpoints if not c.startswith(PRETRAINED_PREFIX)], recipe.target)
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sapsoup-model-", dir=folder) as staging:
        if on_stage:
            on_stage(f"preparing the model from {len(recipe.checkpoints)} checkpoint(s)")
        model_path, provenance = prepare_model(recipe, staging)  # a merge shows its own progress bar
        with progress if progress is not None else contextlib.nullcontext():  # one live display at a time
            return build_archive(
                model_path, out, recipe.target, recipe.decoding, recipe.postprocess, provenance, progress=progress
            )
