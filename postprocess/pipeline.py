"""The whole post-processing, one rule after another, until the text stops changing.

The order is the SAPC1 reference normaliser's: acronyms are split first (the organisers split
them before NeMo ran, so "7PM" became "7 P M" and then "seven P M"), then numbers and
abbreviations are written out as NeMo writes them, then the transcript conventions follow.

The rules feed each other: splitting "mm-hmm" exposes two fillers, dropping a
filler can bring two spelled letters together ("A um B"). Repeating the pass
until nothing changes (it settles in one or two passes) is what makes the
pipeline idempotent, which matters because a hypothesis may be post-processed
again when a stored submission is re-scored.
"""

from __future__ import annotations

from .abbreviations import expand_abbreviations
from .acronyms import split_acronyms
from .fillers import mark_fillers
from .joined_words import split_joined_words
from .letters import spell_letters
from .numbers import numbers_to_words
from .options import PostprocessOptions

_MAX_PASSES = 5


def _one_pass(text: str, options: PostprocessOptions) -> str:
    if options.acronyms:
        text = split_acronyms(text)
    if options.numbers:
        text = numbers_to_words(expand_abbreviations(text))
    if options.spelled_letters:
        text = spell_letters(text)
    if options.joined_words:
        text = split_joined_words(text)
    text = mark_fillers(text, options.fillers)
    return " ".join(text.split())


def postprocess(text: str, options: PostprocessOptions | None = None) -> str:
    """Rewrite one Whisper hypothesis so that it scores like a SAP reference."""
    if options is None:
        options = PostprocessOptions()
    for _ in range(_MAX_PASSES):
        rewritten = _one_pass(text, options)
        if rewritten == text:
            break
        text = rewritten
    return text
