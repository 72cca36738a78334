"""Properties of the post-processing pipeline that must hold for every string."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sapsoup.postprocess import ABBREVIATIONS, FILLER_STYLES, PostprocessOptions, postprocess

# Pieces that wake the rules up, so that random text meets them often and in odd company.
TRICKY_PIECES = [
    "0", "1", "5", "12", "007", "1998", "2005", "25", "3.50", "1,000", "1.2.3", "3:30", "10",
    "$", "£", "€", "%", "°", "°C", "-", "–", "−", "/", ".", ",", ":", "'", "’", "~", "[", "]", "(", ")",
    "st", "nd", "th", "am", "pm", "a.m.", "s", "'s", "k", "million",
    "um", "Uh", "mm", "hmm", "mhm", "er", "huh", "oh",
    "A", "B", "I", "T", "V", "a", "e", "U.S.", "A-B", "x", "covid", "well", "known",
    "@", "#", "B", "gmail", "com", "TV", "CNN", "ER", "OK", " ", "  ", "\t", "\n", "😀", "é", "\u0301", "ß", "٣", "²",
]
tricky_text = st.lists(
    st.one_of(st.sampled_from(TRICKY_PIECES), st.text(max_size=3)), max_size=12
).map("".join)
options = st.builds(
    PostprocessOptions,
    fillers=st.sampled_from(FILLER_STYLES),
    numbers=st.booleans(),
    spelled_letters=st.booleans(),
    acronyms=st.booleans(),
    joined_words=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(text=tricky_text, options=options)
def test_applying_twice_equals_applying_once(text, options):
    once = postprocess(text, options)
    assert postprocess(once, options) == once


@settings(max_examples=150, deadline=None)
@given(text=st.text(), options=options)
def test_never_raises_and_returns_one_line_for_any_unicode(text, options):
    result = postprocess(text, options)
    assert isinstance(result, str)
    assert len(result.splitlines()) <= 1 and result == result.strip()


@settings(max_examples=200, deadline=None)
@given(text=st.text(), options=options)
def test_any_unicode_is_also_a_fixed_point_after_one_application(text, options):
    once = postprocess(text, options)
    assert postprocess(once, options) == once


# Lower-case or capitalised words of two letters or more, and none of the letters of um/uh/hmm/er/ah;
# not one of the abbreviations NeMo writes out without a dot ("vs" -> "versus", "Jr" -> "junior"),
# which the post-processing writes out as the references do.
WRITTEN_OUT = {key for key in ABBREVIATIONS if not key.endswith(".")}
plain_word = st.from_regex(r"[A-Z]?[bcdfgjklnpqstvwxyz]{2,8}", fullmatch=True).filter(lambda w: w not in WRITTEN_OUT)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(plain_word, max_size=8))
def test_plain_words_come_back_untouched(words):
    text = " ".join(words)
    assert postprocess(text) == text
