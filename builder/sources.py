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
        _refuse_bare_weight_file(path)
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


def _refuse_bare_weight_file(path: str) -> None:
    """A weight file named on its own, without the folder whose config.json says what it holds.

    Only an openai-whisper `.pt` carries its dimensions inside; a Hugging Face or CTranslate2
    weight file is only half a checkpoint, so the message names the folder to pass instead.
    """
    name = os.path.basename(path)
    folder = os.path.dirname(os.path.abspath(path))
    has_config = os.path.exists(os.path.join(folder, "config.json"))
    if name.endswith((".safetensors", ".safetensors.index.json")) or name in HF_WEIGHT_FILES or _looks_like_safetensors(path):
        kind = "a Hugging Face weight file"
    elif name == "model.bin":
        kind = "a CTranslate2 weight file"
    else:
        return
    advice = f"pass its folder {folder}" if has_config else f"pass the folder that holds it with its config.json ({folder} has none)"
    raise CheckpointError(f"{path}: {kind} on its own; {advice}")


def _looks_like_safetensors(path: str) -> bool:
    """A safetensors file whatever its name: an 8-byte little-endian header size, then a JSON object."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 100_000_000


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
    if last is not None and last < 1:
        raise CheckpointError(f"--last {last}: must be at least 1 (the number of checkpoints to take from each run)")
    if steps is not None and steps[0] > steps[1]:
        raise CheckpointError(f"--steps {steps[0]}:{steps[1]}: the first step is after the last")
    expanded, runs = [], 0
    for path in paths:
        path = os.fspath(path)
        if detect_format(path) != "run":
            expanded.append(path)
            continue
        runs += 1
        chosen = everything = run_checkpoints(path)
        if steps is not None:
            lo, hi = steps
            chosen = [p for p in chosen if lo <= step_of(p) <= hi]
        if last is not None:
            chosen = chosen[-last:]
        if not chosen:
            have = ", ".join(str(step_of(p)) for p in everything)
            raise CheckpointError(f"{path}: no checkpoint-N folder matches the selection (steps there: {have})")
        expanded.extend(chosen)
    if (last is not None or steps is not None) and not runs:
        option = "--last" if last is not None else "--steps"
        raise CheckpointError(f"{option}: applies to run folders (with checkpoint-N folders), and no input is one")
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
