"""Replay the organisers' run of a submission: their command, per split, in a separate process.

The point is to fail here rather than on the server. So the script runs the way the server runs it:
from a working folder outside the repository, with only the unpacked archive and third-party packages
importable (never sapsoup itself: an archive that imports it would work locally and crash there),
under a time limit, and its output must hold exactly one hypothesis per manifest entry (SAPC1's
scorer pairs lines with `zip`, so a missing line would shift every later utterance).

What the server runs, and how its output reads, is the archive's edition's (`sapsoup.editions`);
this module is the same for both. Where the replay differs from the server (local paths, no conda or
pip installs), the edition says so and the notes go into the report.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from sapsoup import editions
from sapsoup.editions import EditionError
from sapsoup.errors import SapsoupError
from sapsoup.validate import unpack
from sapsoup.validate.devset import DevSplit

DEFAULT_TIMEOUT_SECONDS = 21600  # SAPC2's published limit; SAPC1 published none, so the same is used
STDERR_TAIL_LINES = 20
RAW_OUTPUT_VARIABLE = "SAPSOUP_RAW_OUTPUT"  # contract with the archive's inference.py, see below


class ReplayError(SapsoupError):
    """The archive failed where the server would fail. `details` holds the script's stderr tail."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


@dataclasses.dataclass
class StageTiming:
    stage: str
    seconds: float
    note: str = ""


@dataclasses.dataclass
class SplitRun:
    """One split's inference as the server would have run it."""

    split: str
    hypotheses: list[str]  # what the scorer reads, one per manifest entry, in manifest order
    raw_hypotheses: list[str] | None  # before post-processing, when asked for and written
    seconds: float
    command: list[str]
    output_path: Path
    skipped: str | None  # why inference was not run (the server's "already has as many lines")
    stderr_tail: str
    stderr_path: Path | None = None  # the script's whole stderr, in the work folder


@dataclasses.dataclass
class Replay:
    archive: Path
    root: Path
    layout: unpack.Layout
    runs: dict[str, SplitRun]
    timings: list[StageTiming]
    notes: list[str]


def repository_root() -> Path:
    """The folder that holds the sapsoup sources; the replay must not run inside it."""
    import sapsoup

    return Path(sapsoup.__file__).resolve().parent.parent


def check_workdir(workdir: Path) -> None:
    """Refuse a work folder inside the repository: from there, sapsoup's sources would be reachable."""
    repository = repository_root()
    resolved = Path(workdir).resolve()
    if resolved == repository or repository in resolved.parents:
        raise ReplayError(f"{workdir}: work folder is inside the sapsoup repository {repository}; choose one outside it")


def isolated_site_packages(workdir: Path) -> Path:
    """A view of the interpreter's site-packages without sapsoup, for the child's PYTHONPATH.

    The child runs with `-S` (no site module, so no .pth hooks such as sapsoup's editable finder) and
    gets third-party packages from this folder of links; sapsoup's own entries are not linked.
    """
    view = Path(workdir) / ".site-packages"
    view.mkdir(parents=True, exist_ok=True)
    for packages in site.getsitepackages():
        packages = Path(packages)
        if not packages.is_dir():
            continue
        for entry in packages.iterdir():
            name = entry.name
            if name.lower().startswith("sapsoup") or name.startswith("__editable__") or name.endswith(".pth"):
                continue
            link = view / name
            if not link.exists() and not link.is_symlink():
                link.symlink_to(entry)
    return view


def child_environment(root: Path, site_view: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: the archive root and the third-party view on PYTHONPATH, nothing else."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    environment = {name: os.environ[name] for name in keep if name in os.environ}
    environment.update(
        PYTHONPATH=os.pathsep.join([str(root), str(site_view)]),
        PYTHONNOUSERSITE="1",
        PYTHONUNBUFFERED="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    environment.update(extra or {})
    return environment


def check_isolation(workdir: Path, site_view: Path) -> None:
    """Prove, in the child's environment without the archive, that `import sapsoup` would fail there.

    The archive itself stays out of the probe: a team may ship its own copy of a package, which
    the server would import as well.
    """
    probe = "import importlib.util, sys; sys.exit(3 if importlib.util.find_spec('sapsoup') else 0)"
    environment = child_environment(Path(workdir), site_view)
    environment["PYTHONPATH"] = str(site_view)
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=workdir, env=environment, capture_output=True)
    if result.returncode != 0:
        raise ReplayError(
            "sapsoup is importable in the replay environment; the replay would not match the server "
            f"(probe exit status {result.returncode})",
            result.stderr.decode("utf-8", "replace"),
        )


def tail(path: Path, lines: int = STDERR_TAIL_LINES) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def run_with_limit(
    command: list[str], cwd: Path, environment: dict[str, str], deadline: float, log_prefix: Path,
    on_tick: Callable[[tuple[int, int] | None], None] | None = None,
) -> tuple[int | None, float]:
    """Run `command` in its own process group; kill the group at `deadline`. Returns (status, seconds);
    status None means it was killed. stdout and stderr go to LOG_PREFIX.stdout / .stderr."""
    start = time.monotonic()
    with open(f"{log_prefix}.stdout", "wb") as out, open(f"{log_prefix}.stderr", "wb") as err:
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=out, stderr=err, start_new_session=True)
        try:
            while True:
                try:
                    status = process.wait(timeout=0.2)
                    return status, time.monotonic() - start
                except subprocess.TimeoutExpired:
                    if on_tick:
                        on_tick(reported_progress(log_prefix))
                    if time.monotonic() >= deadline:
                        os.killpg(process.pid, signal.SIGKILL)
                        process.wait()
                        return None, time.monotonic() - start
        except BaseException:  # Ctrl-C or a failing callback: never leave the script running
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            raise


_COUNTER = re.compile(rb"(\d+)/(\d+)")


def reported_progress(log_prefix: Path) -> tuple[int, int] | None:
    """(done, total) as the running script last reported it, or None when it reports nothing.

    Read from the end of its logs: a tqdm bar on stderr (sapsoup's inference.py, the organisers'
    template) or the SAPC2 runner's `done/total` lines on stdout. Only shown, never trusted.
    """
    for suffix in (".stderr", ".stdout"):
        try:
            with open(f"{log_prefix}{suffix}", "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - 400))
                found = _COUNTER.findall(handle.read())
        except OSError:
            continue
        if found:
            done, total = (int(x) for x in found[-1])
            if 0 <= done <= total and total > 0:
                return done, total
    return None


def _run_split(
    layout: unpack.Layout, split: DevSplit, workdir: Path, site_view: Path, deadline: float, timeout: float,
    raw_output: bool, on_tick: Callable[[tuple[int, int] | None], None] | None,
) -> tuple[SplitRun, list[StageTiming]]:
    root, edition = layout.root, layout.edition
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    log_prefix = logs / f"{root.name}-{split.name}"
    extra: dict[str, str] = {}
    raw_path = logs / f"{root.name}-{split.name}.raw"
    if raw_output:
        extra[RAW_OUTPUT_VARIABLE] = str(raw_path)
    environment = child_environment(root, site_view, extra)
    run = edition.server_run(root, split.name, split.dev_dir, workdir, sys.executable)
    for name, text in run.helper_files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    script = root / run.script

    if run.reuse_existing_output and run.output.exists() and not raw_output:
        # The server's test is `wc -l` (newlines) against the split's size; the same test here.
        if run.output.read_bytes().count(b"\n") == len(split.entries):
            existing = _read_output(edition, run.output, split, "")
            reason = (f"the archive already holds {run.output.relative_to(root)} with {len(existing)} lines; "
                      f"the server would not run {run.script}")
            skipped = SplitRun(split.name, existing, None, 0.0, run.command, run.output, reason, "")
            return skipped, [StageTiming(f"inference {split.name}", 0.0, "skipped: output shipped in the archive")]

    run.output.parent.mkdir(parents=True, exist_ok=True)
    status, seconds = run_with_limit(run.command, run.cwd, environment, deadline, log_prefix, on_tick)
    stderr_tail = tail(Path(f"{log_prefix}.stderr"))
    if status is None:
        raise ReplayError(
            f"{script}: split {split.name} did not finish within the {timeout:g} s limit; killed after {seconds:.1f} s",
            stderr_tail,
        )
    if status != 0:
        raise ReplayError(f"{script}: split {split.name} exited with status {status}", stderr_tail)
    if not run.output.exists():
        raise ReplayError(f"{script}: split {split.name} exited 0 but wrote no {run.output}", stderr_tail)
    timings = [StageTiming(f"inference {split.name}", seconds)]

    started = time.monotonic()
    hypotheses = _read_output(edition, run.output, split, stderr_tail)
    raw = None
    if raw_output:
        if not raw_path.exists():
            raise ReplayError(
                f"{script}: wrote no raw transcripts to ${RAW_OUTPUT_VARIABLE} ({raw_path}); "
                "--ablate-postprocess needs an archive built by `sapsoup build`",
                stderr_tail,
            )
        # one line per manifest entry, as a SAPC1 .hypo file, whichever edition the archive is
        raw = _read_output(editions.get("sapc1"), raw_path, split, stderr_tail)
    timings.append(StageTiming(f"output check {split.name}", time.monotonic() - started))
    finished = SplitRun(split.name, hypotheses, raw, seconds, run.command, run.output, None, stderr_tail,
                        Path(f"{log_prefix}.stderr"))
    return finished, timings


def _read_output(edition: editions.Edition, output: Path, split: DevSplit, stderr_tail: str) -> list[str]:
    """The script's output as the edition's scorer reads it, one hypothesis per manifest entry."""
    try:
        return edition.read_output(output, split.ids, edition.manifest_path(split.dev_dir, split.name))
    except EditionError as error:
        raise ReplayError(str(error), stderr_tail) from None


def replay_archive(
    archive: Path,
    splits: list[DevSplit],
    workdir: Path,
    name: str = "submission",
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_unpacked_bytes: int = unpack.DEFAULT_MAX_UNPACKED_BYTES,
    raw_output: bool = False,
    on_split: Callable[[str], None] | None = None,
    on_tick: Callable[[tuple[int, int] | None], None] | None = None,
) -> Replay:
    """Unpack ARCHIVE into WORKDIR/NAME and run every split as the server would.

    `timeout` bounds the whole run (all splits together), as the server's limit does. With
    `raw_output`, the archive's inference is asked (through $SAPSOUP_RAW_OUTPUT) for its transcripts
    before post-processing too, for the ablation; the server never sets that variable.
    """
    archive, workdir = Path(archive), Path(workdir)
    check_workdir(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    timings: list[StageTiming] = []

    started = time.monotonic()
    root = unpack.safe_extract(archive, workdir / name, max_unpacked_bytes)
    timings.append(StageTiming("unpack", time.monotonic() - started))

    started = time.monotonic()
    layout = unpack.check_layout(root, archive)
    timings.append(StageTiming("layout check", time.monotonic() - started, layout.target))

    started = time.monotonic()
    site_view = isolated_site_packages(workdir)
    check_isolation(workdir, site_view)
    timings.append(StageTiming("isolation check", time.monotonic() - started, "sapsoup not importable"))
    environment_files = layout.edition.environment_files
    timings.append(StageTiming(f"environment ({environment_files})", 0.0, "not run: local interpreter used"))

    notes = list(layout.edition.replay_notes) + layout.notes
    if raw_output:
        notes.append(f"${RAW_OUTPUT_VARIABLE} was set for the ablation (the server never sets it)")
    deadline = time.monotonic() + timeout
    runs: dict[str, SplitRun] = {}
    for split in splits:
        if on_split:
            on_split(split.name)
        run, split_timings = _run_split(layout, split, workdir, site_view, deadline, timeout, raw_output, on_tick)
        if run.skipped:
            notes.append(run.skipped)
        runs[split.name] = run
        timings.extend(split_timings)
    return Replay(archive, root, layout, runs, timings, notes)


def temporary_workdir() -> Path:
    """A fresh folder under the system temp dir (outside any repository)."""
    return Path(tempfile.mkdtemp(prefix="sapsoup-validate-"))


def remove_workdir(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
