"""A build recipe: one TOML file that says everything a submission is made of.

    target = "sapc1"                      # or "sapc2"

    [model]
    checkpoints = ["runs/a/checkpoint-900", "runs/b/model.pt"]   # or "pretrained:tiny.en"
    method = "weighted"                   # "uniform" (plain mean) or "weighted" (needs weights)
    weights = [0.6, 0.4]                  # only with method "weighted"
    normalize = true                      # scale the weights to sum to 1
    dtype = "fp16"                        # precision of the packed model.pt

    [decoding]
    beam_size = 5                         # optional; greedy when left out
    length_penalty = 0.6

    [postprocess]                         # PostprocessOptions fields; defaults when left out
    fillers = "brackets"

Relative checkpoint paths are read from the recipe's folder, so a recipe travels with its runs. Every
mistake (an unknown key, a wrong type, a missing checkpoint, weights that do not match) is found
here, before any merging starts, and named with the recipe's path.
"""

import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from sapsoup import editions
from sapsoup.errors import SapsoupError

from .archive import TARGETS, DecodingSettings

METHODS = ("uniform", "weighted")  # as `sapsoup merge` names them
DTYPES = ("fp16", "fp32")
PRETRAINED_PREFIX = "pretrained:"
TOP_KEYS = {"target", "model", "decoding", "postprocess"}
MODEL_KEYS = {"checkpoints", "method", "weights", "normalize", "dtype"}
DECODING_KEYS = {"beam_size", "length_penalty"}


class RecipeError(SapsoupError):
    """A recipe that cannot be built; the message names the recipe file and the problem."""


@dataclass
class Recipe:
    """A parsed, checked recipe; `checkpoints` are absolute paths or `pretrained:NAME`."""

    path: str
    checkpoints: List[str]
    method: str = "uniform"
    weights: Optional[List[float]] = None
    normalize: bool = True
    dtype: str = "fp16"
    target: str = editions.DEFAULT
    decoding: DecodingSettings = field(default_factory=DecodingSettings)
    postprocess: Dict = field(default_factory=dict)  # PostprocessOptions.to_dict()


def _check_keys(path: str, table: Dict, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RecipeError(
            f"{path}: unknown key {where}{unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )


def _table(path: str, data: Dict, name: str) -> Dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise RecipeError(f"{path}: {name} must be a table ([{name}])")
    return value


def resolve_checkpoint(name: str, folder: str, where: str) -> str:
    """An absolute path that exists (relative names are read from `folder`), or a known
    `pretrained:NAME`. `where` starts the error message (the recipe's path, or the option)."""
    if name.startswith(PRETRAINED_PREFIX):
        from .pretrained import PRETRAINED

        model = name[len(PRETRAINED_PREFIX):]
        if model not in PRETRAINED:
            raise RecipeError(f"{where}: unknown pretrained model {model!r} (known: {', '.join(sorted(PRETRAINED))})")
        return name
    path = os.path.normpath(os.path.join(folder, os.path.expanduser(name)))
    if not os.path.exists(path):
        raise RecipeError(f"{where}: checkpoint {name!r} not found (looked for {path})")
    return path


def parse_postprocess(where: str, table: Dict) -> Dict:
    """Check post-processing options against the post-processing package itself."""
    from sapsoup.postprocess import PostprocessOptions

    try:
        return PostprocessOptions.from_dict(table).to_dict()
    except (ValueError, TypeError) as error:
        raise RecipeError(f"{where}: {error}") from None


def parse_recipe(path: str, data: Dict) -> Recipe:
    """Check a recipe's parsed TOML and resolve its checkpoints."""
    _check_keys(path, data, TOP_KEYS, "")
    model = _table(path, data, "model")
    decoding = _table(path, data, "decoding")
    _check_keys(path, model, MODEL_KEYS, "model.")
    _check_keys(path, decoding, DECODING_KEYS, "decoding.")

    target = data.get("target", editions.DEFAULT)
    if target not in TARGETS:
        raise RecipeError(f"{path}: target {target!r} is not one of {', '.join(TARGETS)}")

    checkpoints = model.get("checkpoints")
    if not isinstance(checkpoints, list) or not checkpoints or not all(isinstance(c, str) for c in checkpoints):
        raise RecipeError(f"{path}: model.checkpoints must be a non-empty list of paths")
    folder = os.path.dirname(os.path.abspath(path))
    resolved = [resolve_checkpoint(name, folder, path) for name in checkpoints]
    if len(set(resolved)) != len(resolved):
        raise RecipeError(f"{path}: model.checkpoints names the same checkpoint twice")

    weights = model.get("weights")
    method = model.get("method", "uniform" if weights is None else "weighted")
    if method not in METHODS:
        raise RecipeError(f"{path}: model.method {method!r} is not one of {', '.join(METHODS)}")
    if method == "weighted" and weights is None:
        raise RecipeError(f"{path}: model.method \"weighted\" needs model.weights")
    if method == "uniform" and weights is not None:
        raise RecipeError(f"{path}: model.weights given, but model.method is \"uniform\"; say \"weighted\"")
    if weights is not None:
        if not isinstance(weights, list) or not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) for w in weights
        ):
            raise RecipeError(f"{path}: model.weights must be a list of finite numbers")
        if len(weights) != len(resolved):
            raise RecipeError(
                f"{path}: model.weights has {len(weights)} values for {len(resolved)} checkpoints"
            )
        weights = [float(w) for w in weights]
    normalize = model.get("normalize", True)
    if not isinstance(normalize, bool):
        raise RecipeError(f"{path}: model.normalize must be true or false")
    dtype = model.get("dtype", "fp16")
    if dtype not in DTYPES:
        raise RecipeError(f"{path}: model.dtype {dtype!r} is not one of {', '.join(DTYPES)}")

    beam_size = decoding.get("beam_size")
    if beam_size is not None and (isinstance(beam_size, bool) or not isinstance(beam_size, int)):
        raise RecipeError(f"{path}: decoding.beam_size must be a whole number")
    length_penalty = decoding.get("length_penalty", DecodingSettings.length_penalty)
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float)):
        raise RecipeError(f"{path}: decoding.length_penalty must be a number")
    try:
        settings = DecodingSettings(beam_size=beam_size, length_penalty=float(length_penalty))
    except ValueError as error:
        raise RecipeError(f"{path}: decoding: {error}") from None

    return Recipe(
        path=os.path.abspath(path),
        checkpoints=resolved,
        method=method,
        weights=weights,
        normalize=normalize,
        dtype=dtype,
        target=target,
        decoding=settings,
        postprocess=parse_postprocess(f"{path}: [postprocess]", _table(path, data, "postprocess")),
    )


def load_recipe(path: str) -> Recipe:
    """Read and check a recipe file."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise RecipeError(f"{path}: cannot read recipe ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise RecipeError(f"{path}: not valid TOML ({error})") from None
    return parse_recipe(path, data)


def model_recipe(
    model: str,
    target: str = editions.DEFAULT,
    decoding: DecodingSettings = DecodingSettings(),
    postprocess: Optional[Dict] = None,
    dtype: str = "fp16",
) -> Recipe:
    """The recipe of `sapsoup build --model M`: one checkpoint, read from the working folder."""
    if target not in TARGETS:
        raise RecipeError(f"--target: {target!r} is not one of {', '.join(TARGETS)}")
    if dtype not in DTYPES:
        raise RecipeError(f"--dtype: {dtype!r} is not one of {', '.join(DTYPES)}")
    return Recipe(
        path="",
        checkpoints=[resolve_checkpoint(model, os.getcwd(), "--model")],
        dtype=dtype,
        target=target,
        decoding=decoding,
        postprocess=parse_postprocess("--postprocess", postprocess or {}),
    )
