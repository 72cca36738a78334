"""The SAP Challenge editions: everything the organisers define for each, one module per edition.

`sapc1` is the 2025 challenge (the paper's: WER, then SEM); `sapc2` the 2026 one (CER first, then WER).
Each edition module ends with an `EDITION`, an `Edition` record of its rules: the archive's entry
points and templates, the server's command and output, the dev-set references, text normalisation,
the metrics (primary first), the time limit, and where sapsoup's local replay differs from the server.
`build`, `dev prepare`, `validate`, `select` and the dev scorer take an edition from `get(name)` and
hold no edition branches of their own.

The modules beside the editions hold mechanisms that are the organisers' too but too large to sit
inline: SAPC2's text normaliser (`sapc2_normalizer`), an aligner that chooses as sclite does
(`sclite`), NeMo's text normaliser for SAPC1 references (`nemo`), and the audio conversion both
editions share (`audio`). This package imports nothing from the library above it (builder, validate,
the commands). The rules themselves are described in `docs/challenge-editions.md`.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Callable

from sapsoup.errors import SapsoupError

NAMES = ("sapc1", "sapc2")
DEFAULT = "sapc1"


class EditionError(SapsoupError):
    """An archive, an output file or a name that breaks an edition's contract; the message names it."""


@dataclasses.dataclass
class UtteranceResult:
    """What one utterance adds to the split's primary metric, and what was compared.

    `errors`/`length` are the primary metric's counts (words for WER, characters for CER; halves on a
    tie between references). `substitutions`, `deletions` and `insertions` explain them where the
    edition's alignment is by words (None otherwise). `hypothesis` and `reference` are the strings
    as scored; `reference_choice` is "ref1", "ref2" or "tie".
    """

    errors: float
    length: float
    hypothesis: str
    reference: str
    reference_choice: str
    substitutions: int | None = None
    deletions: int | None = None
    insertions: int | None = None

    @property
    def rate(self) -> float:
        return 100.0 * self.errors / self.length if self.length else 0.0


@dataclasses.dataclass
class SplitResult:
    """A split scored with an edition's text metrics.

    `rates` holds every text metric in percent, primary first (SAPC1's SEM is not a text metric and is
    computed by the library beside it). `utterances` are in manifest order. `warnings` are things the
    server would do differently with this split (for example stop without a score), to show in a
    report. `detail` is the edition's own score object.
    """

    rates: dict[str, float]
    utterances: list[UtteranceResult]
    warnings: list[str]
    detail: object


@dataclasses.dataclass(frozen=True)
class DevUtterance:
    """One dev utterance as `dev prepare` hands it to each edition's manifest writer.

    `spoken` holds the words of the audio that was kept: the transcript itself, or for a `#ts`
    transcript (`timed`) the words of its spans, whose audio alone is kept. `frames` and `wav` (the
    prepared 16 kHz WAV, relative to the dev folder) are known once the audio is converted.
    """

    id: str
    speaker: str
    etiology: str
    transcript: str
    spoken: str
    timed: bool
    frames: int = 0
    wav: str = ""


@dataclasses.dataclass(frozen=True)
class ServerRun:
    """How the server runs one split: its command, where it runs, and what it writes."""

    command: list[str]
    cwd: Path
    output: Path
    script: str  # the archive's entry point the command runs, for messages
    helper_files: dict[str, str] = dataclasses.field(default_factory=dict)  # name in the work folder -> text
    reuse_existing_output: bool = False  # the server skips a split whose output already has every line


@dataclasses.dataclass(frozen=True)
class Edition:
    """One challenge edition's rules, as the organisers' code defines them."""

    name: str
    title: str
    metrics: tuple[str, ...]  # primary first: what the leaderboard ranks on
    # The archive
    entry_points: tuple[str, ...]  # files the server needs at the archive root
    templates: dict[str, str]  # template in `sapsoup.submission` -> name in the archive
    pinned_packages: tuple[str, ...]  # distributions whose installed versions the archive pins
    template_values: Callable[[list[str], str], dict[str, str]]  # (pins, python version) -> placeholders
    check_entry_points: Callable[[Path, set[str], str], list[str]]  # (root, files, label) -> notes
    # The server
    time_limit_seconds: float | None  # None: the organisers published none
    environment_files: str  # what the server installs from, which the replay does not run
    replay_notes: tuple[str, ...]  # how the local replay differs from the server
    server_run: Callable[..., ServerRun]  # (root, split name, dev folder, work folder, python) -> ServerRun
    manifest_path: Callable[[Path, str], Path]  # (dev folder, split) -> the manifest the server runs over
    read_output: Callable[[Path, list[str], Path], list[str]]  # (output, manifest ids, manifest) -> hypotheses
    # The dev set
    dev_entry: Callable[[DevUtterance], tuple[str, ...]]  # what the manifest holds beyond the audio; ValueError: unusable
    write_dev_manifest: Callable[[Path, str, Path, list[tuple[DevUtterance, tuple[str, ...]]]], list[str]]
    # (manifest folder, split, data root, rows) -> the file names written there
    # References and scoring
    reference: Callable[[str, bool], str]  # (raw transcript, remove_parentheses) -> reference line
    dev_references: Callable[[Path, str, list[str]], tuple[list[str], list[str]]]  # (dev, split, ids) -> ref1, ref2
    score: Callable[[list[str], list[str], list[str]], SplitResult]  # (raw hypotheses, ref1, ref2)

    @property
    def primary_metric(self) -> str:
        return self.metrics[0]


def get(name: str) -> Edition:
    """The edition called `name` ("sapc1" or "sapc2"), imported on first use."""
    key = str(name).lower()
    if key not in NAMES:
        raise EditionError(f"unknown challenge edition {name!r} (known: {', '.join(NAMES)})")
    return importlib.import_module(f"{__name__}.{key}").EDITION


def all_editions() -> list[Edition]:
    return [get(name) for name in NAMES]
