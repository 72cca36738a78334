"""Find checkpoints on disk: which format a path holds, which files hold its weights, run folders.

Everything here looks only at names and small JSON files and imports nothing heavy, so a command can
resolve its inputs and start hashing their weight files (`hashing.py`) before anything else loads.
Reading tensors is `checkpoints.py`'s job.
"""

import json
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import CheckpointError

HF_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)$")


def load_json(path: str) -> Dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot read JSON ({error})") from None


def step_of(path: str) -> Optional[int]:
    """The training step of a checkpoint: from its `checkpoint-N` name, else its trainer_state.json."""
    match = CHECKPOINT_DIR.match(os.path.basename(os.path.normpath(path)))
    if match:
        return int(match.group(1))
    state = os.path.join(path, "trainer_state.json") if os.path.isdir(path) else ""
    if state and os.path.exists(state):
        return load_json(state).get("global_step")
    return None


def detect_format(path: str) -> str:
    """Say which format a path holds: "hf", "openai", "ctranslate2" or "run"."""
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no such file or folder")
    if os.path.isfile(path):
        return "openai"
    names = set(os.listdir(path))
    if "model.bin" in names and "config.json" in names:
        return "ctranslate2"
    if "config.json" in names and names & set(HF_WEIGHT_FILES):
        return "hf"
    if any(CHECKPOINT_DIR.match(n) and os.path.isdir(os.path.join(path, n)) for n in names):
        return "run"
    raise CheckpointError(
        f"{path}: not a Whisper checkpoint (expected a Hugging Face folder, an openai-whisper .pt, "
        "a CTranslate2 folder with model.bin, or a run folder with checkpoint-N folders)"
    )


def run_checkpoints(path: str) -> List[str]:
    """The `checkpoint-N` folders of a training run, in step order."""
    found = []
    for name in os.listdir(path):
        match = CHECKPOINT_DIR.match(name)
        if match and os.path.isdir(os.path.join(path, name)):
            found.append((int(match.group(1)), os.path.join(path, name)))
    return [p for _, p in sorted(found)]


def expand_sources(
    paths: Sequence[str], last: Optional[int] = None, steps: Optional[Tuple[int, int]] = None
) -> List[str]:
    """Replace each run folder by its checkpoints (the last K, or those with steps in [lo, hi])."""
    expanded = []
    for path in paths:
        path = os.fspath(path)
        if detect_format(path) != "run":
            expanded.append(path)
            continue
        chosen = run_checkpoints(path)
        if steps is not None:
            lo, hi = steps
            chosen = [p for p in chosen if lo <= step_of(p) <= hi]
        if last is not None:
            chosen = chosen[-last:] if last > 0 else []
        if not chosen:
            raise CheckpointError(f"{path}: no checkpoint-N folder matches the selection")
        expanded.extend(chosen)
    return expanded


def hf_weight_files(path: str) -> List[str]:
    """A Hugging Face folder's weight files: the shards its index names, else the single file."""
    for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        index_path = os.path.join(path, index_name)
        if os.path.exists(index_path):
            weight_map = load_json(index_path).get("weight_map", {})
            shards = sorted(set(weight_map.values()))
            if not shards:
                raise CheckpointError(f"{index_path}: empty weight_map")
            return [os.path.join(path, s) for s in shards]
    for name in ("model.safetensors", "pytorch_model.bin"):
        if os.path.exists(os.path.join(path, name)):
            return [os.path.join(path, name)]
    raise CheckpointError(f"{path}: no weight file")


def weight_files(path: str) -> List[str]:
    """The files that hold a (non-run) checkpoint's weights, as `open_checkpoint` will read them."""
    kind = detect_format(path)
    if kind == "run":
        raise CheckpointError(f"{path}: a training run folder; name one checkpoint-N folder, or merge the run")
    if kind == "openai":
        return [path]
    if kind == "ctranslate2":
        return [os.path.join(path, "model.bin")]
    return hf_weight_files(path)
