"""Post-processing of Whisper hypotheses for the SAP Challenge.

Whisper writes "25", "911", "Dr.", "T-V", "TV" and "um"; SAPC1 references, as the organisers
wrote them with NeMo's text normaliser, hold "twenty five", "nine hundred and eleven", "doctor",
"~T ~V", "T V" and "(um)". Each rule is one small function;
`postprocess` runs the ones `PostprocessOptions` switches on.

This package is copied as is into every submission ZIP: it imports only the
standard library and `inflect`, with relative imports.
"""

from .abbreviations import ABBREVIATIONS, expand_abbreviations
from .acronyms import ACRONYMS, SPELLED_ACRONYMS, split_acronyms
from .fillers import mark_fillers
from .joined_words import split_joined_words
from .letters import spell_letters
from .numbers import numbers_to_words
from .options import FILLER_STYLES, RULES, PostprocessOptions
from .pipeline import postprocess

__all__ = [
    "ABBREVIATIONS",
    "ACRONYMS",
    "expand_abbreviations",
    "FILLER_STYLES",
    "RULES",
    "SPELLED_ACRONYMS",
    "PostprocessOptions",
    "mark_fillers",
    "numbers_to_words",
    "postprocess",
    "spell_letters",
    "split_acronyms",
    "split_joined_words",
]
