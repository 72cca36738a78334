"""SAPC1 references: a raw SAP transcript becomes ref1/ref2 exactly as the organisers made them.

The oracle is `fixtures/organisers/sapc1_references.tsv`: the organisers' own reference script (with
NeMo's normaliser inside) run on transcripts written for sapsoup. The smaller tests pin single rules
of that script, with outputs the same script produced.
"""

import logging
import os

import pytest

from sapsoup.editions import nemo, sapc1
from sapsoup.editions.sapc1 import (
    ACRONYMS,
    ReferenceFormatError,
    ReferenceNormalizationError,
    clean,
    parse_timestamped,
    reference,
)

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "organisers", "sapc1_references.tsv")


@pytest.fixture(scope="module", autouse=True)
def loaded_nemo():
    """NeMo itself, loaded once; its grammars stay in the user's cache (see conftest.py)."""
    return nemo.normalizer()


def read_rows():
    with open(FIXTURE, encoding="utf-8") as handle:
        header, *rows = [line.rstrip("\n").split("\t") for line in handle]
    assert header == ["raw_transcript", "ref1", "ref2"]
    return rows


def ref1(transcript: str) -> str:
    return reference(transcript, remove_parentheses=False)


def ref2(transcript: str) -> str:
    return reference(transcript, remove_parentheses=True)


# ---- the organisers' outputs, every row ----------------------------------------------------------


def test_every_organisers_reference_is_reproduced():
    rows = read_rows()
    assert len(rows) == 400
    made = [(raw, ref1(raw), ref2(raw)) for raw, _, _ in rows]
    assert [row for row, ours in zip(rows, made) if list(ours) != row] == []


# ---- numbers and symbols come from NeMo ----------------------------------------------------------


def test_numbers_are_written_as_nemo_says_them():
    assert ref1("I have 3 kids and 2 grandkids") == "I HAVE THREE KIDS AND TWO GRANDKIDS"
    assert ref1("Call 911") == "CALL NINE HUNDRED AND ELEVEN"


def test_abbreviations_and_times_are_expanded_by_nemo():
    # NeMo writes "p.m." as "PM", which stays one word: acronyms are split before NeMo runs.
    assert ref1("Dr. Smith at 5:30 p.m.") == "DOCTOR SMITH AT FIVE THIRTY PM"


# ---- acronyms ---------------------------------------------------------------------------------


def test_listed_acronyms_are_spelled_letter_by_letter():
    assert ref1("I watch TV with the FBI") == "I WATCH T V WITH THE F B I"


def test_acronym_test_ignores_lower_case_letters_and_punctuation():
    # "T.V." and "DVDs" reduce to the listed "TV" and "DVD"; "tv" reduces to nothing.
    assert ref1("T.V. and DVDs") == "T V AND D V D S"
    assert ref1("tv") == "TV"


def test_words_in_capitals_that_are_listed_are_spelled_even_when_ordinary_words():
    assert ref1("I AM HERE") == "I A M HERE"
    assert ref1("I am here") == "I AM HERE"


def test_acronym_list_is_the_organisers_list():
    assert len(ACRONYMS) == 164 and len(set(ACRONYMS)) == 164
    assert ACRONYMS[:3] == ("MSNNBC", "MSNBC", "MSSNNBC") and ACRONYMS[-1] == "PBJ"
    assert {"TV", "USA", "CNN", "FBI", "DNA", "OK", "DVD"} <= set(ACRONYMS)


# ---- markup ------------------------------------------------------------------------------------


def test_curly_quotes_become_apostrophes():
    assert ref1("I don\u2019t know") == "I DON'T KNOW"


def test_notes_in_square_brackets_are_removed_with_text_before_a_stray_bracket():
    assert ref1("hello [laughs] there") == "HELLO THERE"
    assert ref1("cut off] the rest") == "THE REST"


def test_unknown_word_markup_becomes_unk_words():
    assert ref1("I saw {w:3} today") == "I SAW UNK UNK UNK TODAY"
    assert ref1("I saw {u:bob} today") == "I SAW UNK TODAY"
    assert ref1("I saw {w:} today") == "I SAW TODAY"


def test_other_labelled_braces_keep_their_text():
    assert ref1("say {cs:hola} now") == "SAY HOLA NOW"


def test_unknown_word_markup_with_two_counts_is_refused_naming_the_transcript():
    with pytest.raises(ReferenceFormatError, match=r"\{w:2 3\}.*'I saw \{w:2 3\}'"):
        ref1("I saw {w:2 3}")


def test_parentheses_are_kept_in_ref1_and_dropped_in_ref2():
    assert ref1("I (um) want water") == "I UM WANT WATER"
    assert ref2("I (um) want water") == "I WANT WATER"


def test_labelled_parentheses_keep_their_text_in_both_references():
    assert ref1("I said (cs:hola) there") == ref2("I said (cs:hola) there") == "I SAID HOLA THERE"


def test_stars_and_tildes_separate_letters():
    assert ref1("~T ~V *and*") == "T V AND"


def test_email_address_is_spoken_with_at_and_dot():
    assert ref1("Write to john.doe@gmail.com.") == "WRITE TO JOHN DOT DOE AT GMAIL DOT COM"


def test_quotes_at_word_edges_go_but_contractions_stay():
    assert ref1("'rock' isn't 'n' roll") == "ROCK ISN'T N ROLL"


def test_accented_capitals_are_kept_and_other_symbols_become_spaces():
    assert ref1("café & co-op #1") == "CAFÉ AND CO OP HASH ONE"


def test_transcript_nemo_raises_on_is_refused_naming_it_on_one_line():
    with pytest.raises(ReferenceNormalizationError, match=r"'bad\\ud800text'") as caught:
        ref1("bad\ud800text")
    assert "\n" not in str(caught.value)


# ---- the scorer's cleaning ---------------------------------------------------------------------


def test_clean_upper_cases_and_deletes_what_is_not_a_letter():
    assert clean("Hello, world! Is it you?") == "HELLO WORLD IS IT YOU"
    assert clean("call 911 now") == "CALL NOW"


def test_clean_deletes_rather_than_splits():
    assert clean("a well-known fact") == "A WELLKNOWN FACT"
    assert clean("a\tb") == "AB"


def test_clean_keeps_apostrophes_and_accented_capitals():
    assert clean("don't café señor garçon") == "DON'T CAFÉ SEÑOR GARON"


def test_clean_leaves_a_reference_unchanged():
    line = ref1("I (um) have 3 kids")
    assert clean(line) == line


# ---- NeMo itself -------------------------------------------------------------------------------


def test_nemo_grammars_can_be_kept_apart_from_sapsoups_other_caches(monkeypatch, tmp_path):
    monkeypatch.setenv("SAPSOUP_NEMO_CACHE_DIR", str(tmp_path / "grammars"))
    assert nemo.default_cache_dir() == str(tmp_path / "grammars")


def test_nemo_cache_folder_is_under_sapsoups_cache_root_and_named_by_version(monkeypatch, tmp_path):
    monkeypatch.delenv("SAPSOUP_NEMO_CACHE_DIR", raising=False)
    monkeypatch.setenv("SAPSOUP_CACHE_DIR", str(tmp_path))
    assert nemo.default_cache_dir() == str(tmp_path / f"nemo-{nemo.installed_version()}")


def test_nemo_cache_root_defaults_to_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("SAPSOUP_NEMO_CACHE_DIR", raising=False)
    monkeypatch.delenv("SAPSOUP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert nemo.default_cache_dir() == str(tmp_path / "sapsoup" / "nemo-1.2.0")


def test_missing_nemo_says_how_to_install_it(monkeypatch):
    def not_installed(name):
        raise nemo.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(nemo.importlib.metadata, "version", not_installed)
    with pytest.raises(nemo.NemoUnavailableError, match=r"pip install nemo_text_processing==1\.2\.0"):
        nemo.installed_version()


def test_nemo_info_logging_is_silenced(caplog):
    with caplog.at_level(logging.DEBUG, logger="NeMo-text-processing"):
        nemo.normalize("I have 7 cats and 1 dog")
    assert [r for r in caplog.records if r.levelno < logging.WARNING] == []


def test_normalizer_is_loaded_once_per_process(loaded_nemo):
    assert nemo.normalizer() is loaded_nemo


# ---- timestamped transcripts -------------------------------------------------------------------


def test_timestamped_transcript_spans_in_seconds():
    assert parse_timestamped("#ts\n0.5 1.25 hello there\n2 3.5 bye") == [(0.5, 1.25, "hello there"), (2.0, 3.5, "bye")]


def test_timestamped_transcript_clock_times():
    assert parse_timestamped("#ts\n1:02.5 0:01:04 later") == [(62.5, 64.0, "later")]


def test_timestamped_line_without_times_is_refused_naming_the_line():
    with pytest.raises(ReferenceFormatError, match="line 2"):
        parse_timestamped("#ts\n0 1 ok\nhello there")


def test_timestamped_span_ending_before_it_starts_is_refused():
    with pytest.raises(ReferenceFormatError, match="line 1"):
        parse_timestamped("#ts\n3 1 backwards")


def test_transcript_without_marker_is_not_timestamped():
    with pytest.raises(ReferenceFormatError, match="#ts"):
        parse_timestamped("0 1 hello")


def test_reference_format_error_is_a_value_error():
    assert issubclass(sapc1.ReferenceFormatError, ValueError)


class FakeNormalizer:
    """Stands in for NeMo's Normalizer: writes the three grammar files into its cache folder."""

    def __init__(self, input_case, lang, cache_dir):
        self.cache_dir = cache_dir
        for name in ("en_tn_x__tokenize.far", "en_tn_x_verbalizer.far", "en_tn_post_processing.far"):
            with open(os.path.join(cache_dir, name), "w") as handle:
                handle.write(cache_dir)


def test_compiled_grammars_are_published_whole_and_nothing_half_built_is_left(tmp_path):
    target = tmp_path / "nemo-1.2.0"
    nemo._build(FakeNormalizer, str(target))
    assert nemo._is_complete(str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nemo-1.2.0"]


def test_grammars_published_first_are_kept_when_two_processes_compile(tmp_path):
    target = tmp_path / "nemo-1.2.0"
    nemo._build(FakeNormalizer, str(target))
    first = (target / "en_tn_post_processing.far").read_text()
    nemo._build(FakeNormalizer, str(target))
    assert (target / "en_tn_post_processing.far").read_text() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nemo-1.2.0"]


def test_a_folder_missing_a_grammar_is_not_a_cache(tmp_path):
    (tmp_path / "en_tn_post_processing.far").write_text("")
    assert not nemo._is_complete(str(tmp_path))
