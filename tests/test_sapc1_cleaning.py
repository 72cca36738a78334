"""SAPC1's cleaning of hypotheses, one behaviour per test (see docs/challenge-editions.md).

SAPC1 references are specified in test_sapc1_references.py and SAPC2's normaliser in
test_sapc2_normalizer.py, both against the organisers' own outputs.
"""


from sapsoup.editions.sapc1 import clean as clean_hypothesis

# ---- SAPC1 hypothesis rule --------------------------------------------------------------------


def test_hypothesis_is_upper_cased():
    assert clean_hypothesis("turn on the lights") == "TURN ON THE LIGHTS"


def test_hypothesis_digits_are_deleted_not_spelled():
    assert clean_hypothesis("call 911 now") == "CALL NOW"


def test_hypothesis_digits_inside_a_word_are_deleted_without_a_gap():
    assert clean_hypothesis("covid19 test") == "COVID TEST"


def test_hypothesis_hyphen_joins_the_words():
    assert clean_hypothesis("a well-known fact") == "A WELLKNOWN FACT"


def test_hypothesis_punctuation_is_deleted():
    assert clean_hypothesis("Hello, world! Is it you?") == "HELLO WORLD IS IT YOU"


def test_hypothesis_keeps_apostrophes():
    assert clean_hypothesis("don't stop") == "DON'T STOP"


def test_hypothesis_keeps_listed_accented_capitals():
    assert clean_hypothesis("café señor") == "CAFÉ SEÑOR"


def test_hypothesis_deletes_unlisted_accented_letters():
    assert clean_hypothesis("garçon") == "GARON"


def test_hypothesis_spaces_are_collapsed():
    assert clean_hypothesis("  a   b  ") == "A B"


def test_hypothesis_of_only_symbols_is_empty():
    assert clean_hypothesis("123 ... !!") == ""
