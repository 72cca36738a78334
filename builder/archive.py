"""Pack a merged model as the organisers' submission ZIP, byte for byte reproducibly.

The archive's plain files come from the `sapsoup.submission` folder (each edition names its templates
and the packages they pin: `sapsoup.editions`) and from the `sapsoup.postprocess` package (copied as a `postprocess/` folder, `*.py` files only). The two TO-DO
templates get the Python version and the exact package versions of the environment that built, and
tested, the archive. `sapsoup.json` records how the archive was made (merge provenance, decoding and
post-processing settings, target, sapsoup version) and the sha256 of every other file; the archive's
scripts read their settings from it, so the record and the behaviour cannot drift apart.

Reproducible means: the same inputs give the same bytes. ZIP entries are sorted, dated 1980-01-01,
have fixed permissions and a fixed deflate level; JSON is written with sorted keys; and `model.pt`
is re-saved under a fixed record name with PyTorch's random serialization id replaced by one derived
from the content (see `pin_serialization_id`).
"""

import contextlib
import hashlib
import importlib.metadata
import io
import json
import os
import re
import struct
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Union

import torch
from sapsoup.submission.decoding import DecodingSettings

from sapsoup import editions
from sapsoup.atomic import atomic_path
from sapsoup.errors import SapsoupError

from .pytorch_file import record_data_start

TARGETS = editions.NAMES
MODEL_FILE = "model.pt"
MANIFEST_FILE = "sapsoup.json"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP can hold
DEFLATE_LEVEL = 6
EXECUTABLES = frozenset({"run.sh"})
CHUNK = 1 << 20
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


class BuildError(SapsoupError):
    """The archive cannot be built as asked; the message names the file and the problem."""


@dataclass(frozen=True)
class ArchiveFile:
    """One entry of a finished archive."""

    name: str
    size: int
    sha256: str


# ----------------------------------------------------------------------------- the environment


def installed_version(distribution: str) -> str:
    """The installed version without a local label: the CPU wheel's `2.13.0+cpu` is `2.13.0` on PyPI."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(f"{distribution}: not installed, so the archive cannot pin its version") from None
    return version.split("+")[0]


def pinned_requirements(distributions) -> List[str]:
    """`name==version` for each distribution, as installed here."""
    return [f"{name}=={installed_version(name)}" for name in distributions]


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


# ----------------------------------------------------------------------------- templates


def template_dir() -> Path:
    from sapsoup import submission

    return Path(submission.__file__).parent


def render(name: str, text: str, values: Dict[str, str]) -> str:
    """Fill `{{KEY}}` placeholders; a placeholder without a value is a bug in the template."""
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise BuildError(f"{name}: template placeholder(s) without a value: {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def edition_of(target: str) -> editions.Edition:
    try:
        return editions.get(target)
    except editions.EditionError as error:
        raise BuildError(str(error)) from None


def template_files(target: str) -> Dict[str, bytes]:
    """The edition's scripts, with the TO-DO sections filled from this environment."""
    edition = edition_of(target)
    values = edition.template_values(pinned_requirements(edition.pinned_packages), python_version())
    files = {}
    for source, name in edition.templates.items():
        path = template_dir() / source
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise BuildError(f"{path}: cannot read template ({error.strerror})") from None
        files[name] = render(str(path), text, values).encode("utf-8")
    return files


def postprocess_files() -> Dict[str, bytes]:
    """The post-processing package as `postprocess/...`: only its Python files, no caches."""
    from sapsoup import postprocess

    root = Path(postprocess.__file__).parent
    files = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if "__pycache__" in relative.parts:
            continue
        files["postprocess/" + relative.as_posix()] = path.read_bytes()
    if "postprocess/__init__.py" not in files:
        raise BuildError(f"{root}: no __init__.py; the archive could not import the post-processing")
    return files


# ----------------------------------------------------------------------------- the model file


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables for the duration of a block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def expected_shapes(dims) -> Dict[str, tuple]:
    """The state dict openai-whisper's `Whisper(dims)` loads strictly: names and shapes.

    Built on the meta device (no memory), encoder and decoder apart: `Whisper` itself makes a sparse
    buffer that the meta device cannot hold, and that buffer is not part of the state dict anyway.
    """
    from whisper.model import AudioEncoder, TextDecoder

    # The meta device wakes up torch's compiler, which makes a cache folder under $TMPDIR and leaves it
    # there; it gets a folder of its own here, removed afterwards.
    with tempfile.TemporaryDirectory(prefix=".sapsoup-inductor-") as scratch, _environment(TORCHINDUCTOR_CACHE_DIR=scratch):
        with torch.device("meta"):
            encoder = AudioEncoder(dims.n_mels, dims.n_audio_ctx, dims.n_audio_state, dims.n_audio_head, dims.n_audio_layer)
            decoder = TextDecoder(dims.n_vocab, dims.n_text_ctx, dims.n_text_state, dims.n_text_head, dims.n_text_layer)
    shapes = {f"encoder.{k}": tuple(v.shape) for k, v in encoder.state_dict().items()}
    shapes.update({f"decoder.{k}": tuple(v.shape) for k, v in decoder.state_dict().items()})
    return shapes


def check_servable(payload, path: str) -> Dict[str, int]:
    """Make sure openai-whisper, as the archive runs it, can load and decode this checkpoint.

    openai-whisper builds every FFN as 4 x d_model and loads strictly, so any other width or a
    missing or extra tensor would only fail on the server. Returns the dims.
    """
    from whisper.audio import N_FRAMES
    from whisper.model import ModelDimensions

    if not isinstance(payload, dict) or "dims" not in payload or "model_state_dict" not in payload:
        raise BuildError(f"{path}: not an openai-whisper checkpoint (no 'dims' and 'model_state_dict')")
    try:
        dims = ModelDimensions(**payload["dims"])
    except TypeError as error:
        raise BuildError(f"{path}: bad dims ({error})") from None
    state = payload["model_state_dict"]
    if not isinstance(state, dict):
        raise BuildError(f"{path}: model_state_dict is not a dict of tensors")
    for side, width in (("encoder", dims.n_audio_state), ("decoder", dims.n_text_state)):
        ffn = state.get(f"{side}.blocks.0.mlp.0.weight")
        if ffn is not None and ffn.shape[0] != 4 * width:
            raise BuildError(
                f"{path}: {side} FFN width {ffn.shape[0]} is not 4 x d_model ({4 * width}); "
                "openai-whisper, which the archive runs, cannot load it"
            )
    if dims.n_mels not in (80, 128):
        raise BuildError(f"{path}: {dims.n_mels} mel bins; openai-whisper has filters for 80 or 128 only")
    if dims.n_audio_ctx != N_FRAMES // 2:
        raise BuildError(
            f"{path}: n_audio_ctx is {dims.n_audio_ctx}, but openai-whisper's 30-s windows need {N_FRAMES // 2}"
        )
    expected = expected_shapes(dims)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(n for n in set(expected) & set(state) if tuple(state[n].shape) != expected[n])
    for problem, names in (("missing", missing), ("unexpected", unexpected), ("wrongly shaped", wrong)):
        if names:
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            raise BuildError(
                f"{path}: openai-whisper cannot load the weights: {problem} tensor(s) {', '.join(names[:3])}{more}"
            )
    return dict(payload["dims"])


def check_finite_model(state: Dict, path: str) -> None:
    """Refuse NaN or infinite weights, whichever format they came from.

    Such a model loads and runs, and writes an empty or garbage line for every utterance: the server
    would score it, and the team would learn of it from a WER of 100. Named by the first bad tensor.
    """
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise BuildError(f"{path}: tensor {name} holds {bad} NaN or infinite value(s); refusing to pack this model")


def pin_serialization_id(path: str) -> None:
    """Replace the random id PyTorch writes into every saved file by one derived from its content.

    `torch.save` stores `<name>/.data/serialization_id`: 40 digits, partly from a random number, so two
    saves of the same tensors differ. The record is stored uncompressed; it is overwritten in place
    (same length) and its CRC-32 fixed in the local header, the data descriptor and the central
    directory. Files without the record (older PyTorch) are left alone.
    """
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if i.filename.endswith("/.data/serialization_id")]
        if not infos:
            return
        info = infos[0]
        central_directory = archive.start_dir
        digest = hashlib.sha256()
        for other in archive.infolist():
            if other is not info:
                digest.update(other.filename.encode() + struct.pack("<IQ", other.CRC, other.file_size))
    if info.compress_type != zipfile.ZIP_STORED:
        raise BuildError(f"{path}: PyTorch stored the serialization id compressed; cannot pin it")
    new_id = str(int.from_bytes(digest.digest(), "big")).zfill(info.file_size)[: info.file_size].encode()
    new_crc = struct.pack("<I", zlib.crc32(new_id))
    name = info.filename.encode()
    with open(path, "r+b") as handle:
        data_start = record_data_start(handle, info)
        handle.seek(info.header_offset + 14)  # the local header's CRC-32, zero when a descriptor follows
        if handle.read(4) != b"\0\0\0\0":
            handle.seek(info.header_offset + 14)
            handle.write(new_crc)
        handle.seek(data_start)
        handle.write(new_id)
        descriptor = handle.read(4)
        if descriptor == b"PK\x07\x08":
            handle.write(new_crc)
        elif descriptor == struct.pack("<I", info.CRC):
            handle.seek(data_start + info.file_size)
            handle.write(new_crc)
        # the central directory entry: signature, ..., CRC-32 at offset 16, ..., name at offset 46
        handle.seek(central_directory)
        content = handle.read()
        entry = content.rfind(name) - 46
        if entry < 0 or content[entry : entry + 4] != b"PK\x01\x02":
            raise BuildError(f"{path}: cannot find the central directory entry of {info.filename}")
        handle.seek(central_directory + entry + 16)
        handle.write(new_crc)


def save_model(source: str, staged: str) -> Dict[str, int]:
    """Check that the archive can serve `source` (an openai-whisper `.pt`) and write it to `staged`
    reproducibly. Returns the model's dims."""
    try:
        # memory-map zip-format files (all of PyTorch's since 1.6): a large model is then read once
        payload = torch.load(source, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(source))
    except Exception as error:
        raise BuildError(f"{source}: cannot read as an openai-whisper checkpoint ({error})") from None
    dims = check_servable(payload, source)
    check_finite_model(payload["model_state_dict"], source)
    try:
        torch.save({"dims": dims, "model_state_dict": payload["model_state_dict"]}, staged)
    except (OSError, RuntimeError) as error:  # PyTorch reports a full disk as a RuntimeError
        raise BuildError(f"{staged}: cannot write the model ({error})") from None
    pin_serialization_id(staged)
    return dims


# ----------------------------------------------------------------------------- the ZIP itself


def sha256_of(source: Union[bytes, Path]) -> str:
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
    else:
        with open(source, "rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                digest.update(block)
    return digest.hexdigest()


def _check_name(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
        raise BuildError(f"{name!r}: not a plain relative archive name")


def write_reproducible_zip(out: str, entries: Dict[str, Union[bytes, Path]], progress=None) -> List[ArchiveFile]:
    """Write `entries` (archive name -> bytes, or a Path to stream from) as a ZIP at `out`.

    Sorted names, one fixed date, 0o644 permissions (0o755 for `run.sh`), deflate level 6, no folder
    entries; written to a temporary file beside `out` and renamed, so `out` is either the whole
    archive or untouched. `progress` is an optional rich Progress that gets a bytes bar.
    """
    for name in entries:
        _check_name(name)
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise BuildError(f"{out}: folder {folder} does not exist")
    sizes = {n: len(s) if isinstance(s, bytes) else os.path.getsize(s) for n, s in entries.items()}
    task = progress.add_task("writing archive", total=sum(sizes.values())) if progress else None
    written = []
    with atomic_path(out) as partial:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = DEFLATE_LEVEL
                info.create_system = 3  # Unix, so the permission bits below are honoured
                mode = 0o755 if name in EXECUTABLES else 0o644
                info.external_attr = (0o100000 | mode) << 16
                info.file_size = sizes[name]
                source = entries[name]
                digest = hashlib.sha256()
                stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
                with stream, archive.open(info, "w") as sink:
                    for block in iter(lambda: stream.read(CHUNK), b""):
                        sink.write(block)
                        digest.update(block)
                        if progress:
                            progress.advance(task, len(block))
                written.append(ArchiveFile(name, sizes[name], digest.hexdigest()))
    return written


def manifest_json(
    files: Dict[str, str], target: str, dims: Dict, provenance: Dict, decoding: DecodingSettings, postprocess: Dict
) -> bytes:
    """`sapsoup.json`: how the archive was made and what it holds (name -> sha256)."""
    from sapsoup import __version__

    record = {
        "sapsoup_version": __version__,
        "target": target,
        "model": {"file": MODEL_FILE, "dims": dims},
        "merge": provenance,
        "decoding": decoding.to_dict(),
        "postprocess": postprocess,
        "python": python_version(),
        "requirements": pinned_requirements(edition_of(target).pinned_packages),
        "files": dict(sorted(files.items())),
    }
    try:
        text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise BuildError(f"{MANIFEST_FILE}: the build record is not plain JSON ({error})") from None
    return (text + "\n").encode("utf-8")


def build_archive(
    model: str,
    out: str,
    target: str = editions.DEFAULT,
    decoding: DecodingSettings = DecodingSettings(),
    postprocess: Optional[Dict] = None,
    provenance: Optional[Dict] = None,
    progress=None,
) -> List[ArchiveFile]:
    """Pack the openai-whisper checkpoint `model` as a `target` submission ZIP at `out`.

    `postprocess` is `PostprocessOptions.to_dict()` (None: the defaults); `provenance` is the merge's
    record (what went in, with which weights). Returns the archive's files, `sapsoup.json` last.
    """
    from sapsoup.postprocess import PostprocessOptions

    edition_of(target)
    try:
        options = PostprocessOptions.from_dict(postprocess) if postprocess else PostprocessOptions()
    except ValueError as error:
        raise BuildError(f"post-processing options: {error}") from None
    entries: Dict[str, Union[bytes, Path]] = {}
    entries.update(template_files(target))
    entries.update(postprocess_files())
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise BuildError(f"{out}: folder {folder} does not exist")
    with tempfile.TemporaryDirectory(prefix=".sapsoup-build-", dir=folder) as staging:
        staged = os.path.join(staging, MODEL_FILE)
        dims = save_model(model, staged)
        entries[MODEL_FILE] = Path(staged)
        hashes = {name: sha256_of(source) for name, source in entries.items()}
        entries[MANIFEST_FILE] = manifest_json(
            hashes, target, dims, provenance or {}, decoding, options.to_dict()
        )
        written = write_reproducible_zip(out, entries, progress)
    return sorted(written, key=lambda f: (f.name == MANIFEST_FILE, f.name))


def files_table(files: List[ArchiveFile], title: str = ""):
    """A rich table of the archive's files and sizes, for the build's last words."""
    from rich.table import Table

    table = Table(title=title or None)
    table.add_column("file")
    table.add_column("bytes", justify="right")
    table.add_column("sha256", style="dim")
    for entry in files:
        table.add_row(entry.name, f"{entry.size:,}", entry.sha256[:16])
    table.add_row("total", f"{sum(f.size for f in files):,}", "", style="bold")
    return table
