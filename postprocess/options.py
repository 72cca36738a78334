"""The knobs of the post-processing pipeline, as one small record.

A submission ZIP stores these options next to the copied package, so that the
organisers' machine rewrites Whisper's text exactly as the local evaluation did.
That is why the record round-trips through a plain dict and refuses keys it does
not know: a typo in a stored file must fail loudly, not fall back to a default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

FILLER_STYLES = ("brackets", "parentheses", "drop", "keep")

# The per-rule toggles, in the order the pipeline applies them. "fillers" is a
# style (switch it off with "keep"); the others are booleans (switch off with False).
# "numbers" also writes out the abbreviations NeMo expands ("Dr." -> "doctor").
RULES = ("acronyms", "numbers", "spelled_letters", "joined_words", "fillers")


@dataclass(frozen=True)
class PostprocessOptions:
    fillers: str = "brackets"
    numbers: bool = True
    spelled_letters: bool = True
    acronyms: bool = True
    joined_words: bool = True

    def __post_init__(self):
        if self.fillers not in FILLER_STYLES:
            raise ValueError(
                f"fillers must be one of {', '.join(FILLER_STYLES)}, not {self.fillers!r}"
            )
        for field in fields(self):
            if field.type in (bool, "bool") and not isinstance(getattr(self, field.name), bool):
                raise ValueError(f"{field.name} must be true or false, not {getattr(self, field.name)!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PostprocessOptions":
        if not isinstance(d, dict):
            raise ValueError(f"post-processing options must be a mapping, not {type(d).__name__}")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(d) - known, key=str)
        if unknown:
            raise ValueError(
                f"unknown post-processing option(s): {', '.join(map(str, unknown))}"
                f" (known: {', '.join(sorted(known))})"
            )
        return cls(**d)
