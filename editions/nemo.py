"""NeMo's English text normaliser, the one the SAPC1 organisers ran on every reference transcript.

The organisers turned written forms into spoken ones ("3" -> "three", "Dr." -> "doctor") with
`nemo_text_processing`'s `Normalizer(input_case='cased', lang='en')`, calling
`normalize(text, verbose=False, punct_post_process=True)`. Matching their references means running
that very normaliser: its grammars decide hundreds of cases ("911", "A/C", "p.m.") that no
hand-written rule reproduces.

Building the normaliser compiles its grammars, which takes about half a minute. The compiled
grammars are kept on disk, in `$SAPSOUP_CACHE_DIR/nemo-<version>` (by default
`~/.cache/sapsoup/nemo-<version>`), so that only the first process on a machine pays for it; each
process then loads them once. The folder is named by NeMo's version because another version's
grammars may write numbers differently.

NeMo logs at INFO level on every call (and resets its own logger's level each time); sapsoup lets
only its warnings through.
"""

import functools
import importlib.metadata
import logging
import os
import shutil
import tempfile

from sapsoup.editions import EditionError

NEMO_PACKAGE = "nemo_text_processing"
NEMO_VERSION = "1.2.0"  # the version the organisers' references were made with
INSTALL_HINT = f"pip install {NEMO_PACKAGE}=={NEMO_VERSION}"

_normalizer = None


class NemoUnavailableError(EditionError, ImportError):
    """nemo_text_processing (or its pynini) is not installed, so SAPC1 references cannot be made."""


def installed_version() -> str:
    """The installed nemo_text_processing version; NemoUnavailableError when it is missing."""
    try:
        return importlib.metadata.version(NEMO_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise NemoUnavailableError(
            f"SAPC1 references need NeMo's text normaliser, which is not installed: {INSTALL_HINT}"
        ) from None


def default_cache_dir() -> str:
    """Where the compiled grammars live: `$SAPSOUP_NEMO_CACHE_DIR` if set, else
    `$SAPSOUP_CACHE_DIR/nemo-<version>`.

    The root is sapsoup's cache root ($SAPSOUP_CACHE_DIR, else $XDG_CACHE_HOME/sapsoup, else
    ~/.cache/sapsoup), read here rather than imported so the editions stay below the library.
    """
    if os.environ.get("SAPSOUP_NEMO_CACHE_DIR"):  # grammars kept apart from sapsoup's other caches
        return os.environ["SAPSOUP_NEMO_CACHE_DIR"]
    root = os.environ.get("SAPSOUP_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "sapsoup")
    return os.path.join(root, f"nemo-{installed_version()}")


def normalizer(cache_dir: str | None = None):
    """The process's NeMo `Normalizer`, built on first use from grammars cached in `cache_dir`.

    `cache_dir` (default `default_cache_dir()`) only matters on the first call: later calls return
    the normaliser already loaded, wherever its grammars came from.
    """
    global _normalizer
    if _normalizer is None:
        _normalizer = _load(cache_dir or default_cache_dir())
    return _normalizer


@functools.lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """`text` in spoken form, exactly as the organisers' reference script called NeMo.

    Results are remembered (NeMo is deterministic and slow, ~20 ms a sentence), so a transcript's
    two references cost one call.

    NeMo itself falls back to returning its input when it cannot verbalise a sentence (it logs a
    warning); that fallback is what the organisers' references hold too, so it is returned as is.
    Any exception NeMo raises is left to the caller, which knows which transcript it was.
    """
    return normalizer().normalize(text, verbose=False, punct_post_process=True)


def _load(cache_dir: str):
    installed_version()  # a clear error before the import below fails less clearly
    try:
        from nemo_text_processing.text_normalization.normalize import Normalizer
        from nemo_text_processing.utils.logging import logger
    except ImportError as error:
        raise NemoUnavailableError(
            f"SAPC1 references need NeMo's text normaliser, which cannot be imported ({error}): {INSTALL_HINT}"
        ) from None
    _quiet(logger)
    if _is_complete(cache_dir):
        return Normalizer(input_case="cased", lang="en", cache_dir=cache_dir)
    return _build(Normalizer, cache_dir)


def _build(Normalizer, cache_dir: str):
    """Compile the grammars into a private folder beside `cache_dir`, then move it into place.

    Two processes that compile at once each write their own folder; the first to finish publishes
    it and the other discards its copy, so nobody ever loads a half-written grammar file.
    """
    parent = os.path.dirname(os.path.abspath(cache_dir))
    os.makedirs(parent, exist_ok=True)
    building = tempfile.mkdtemp(prefix=os.path.basename(cache_dir) + ".building-", dir=parent)
    os.chmod(building, 0o755)  # mkdtemp makes it private; the published cache is an ordinary folder
    try:
        loaded = Normalizer(input_case="cased", lang="en", cache_dir=building)
        if os.path.isdir(cache_dir) and not _is_complete(cache_dir):
            shutil.rmtree(cache_dir, ignore_errors=True)
        try:
            os.rename(building, cache_dir)
        except OSError:
            pass  # another process published its grammars first; ours are the same
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return loaded


_GRAMMAR_FILES = ("_tokenize.far", "_verbalizer.far", "_post_processing.far")


def _is_complete(cache_dir: str) -> bool:
    """Whether `cache_dir` holds all three compiled grammars (tagger, verbaliser, post-processing)."""
    try:
        names = os.listdir(cache_dir)
    except OSError:
        return False
    return all(any(name.endswith(suffix) for name in names) for suffix in _GRAMMAR_FILES)


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def _quiet(logger: logging.Logger) -> None:
    """Drop NeMo's INFO and DEBUG records. A filter, not a level: `normalize` resets the level."""
    if not any(isinstance(existing, _WarningsOnly) for existing in logger.filters):
        logger.addFilter(_WarningsOnly())
