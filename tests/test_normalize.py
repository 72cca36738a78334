"""The organisers' text rules, one behaviour per test (see docs/challenge-editions.md)."""

import pytest

from sapsoup.validate.normalize import (
    SPELLED_ACRONYMS,
    UNKNOWN_TOKEN,
    ReferenceFormatError,
    clean_hypothesis,
    normalize_reference,
    parse_timestamped,
    sapc2_normalize,
    sapc2_reference,
)


def ref1(transcript: str) -> str:
    return normalize_reference(transcript, keep_disfluencies=True)


def ref2(transcript: str) -> str:
    return normalize_reference(transcript, keep_disfluencies=False)


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


# ---- SAPC1 references from raw transcripts ----------------------------------------------------


def test_reference_curly_apostrophe_becomes_straight():
    assert ref1("It\u2019s my mom\u2018s") == "IT'S MY MOM'S"


def test_reference_square_bracket_notes_are_removed():
    assert ref1("hello [laughter] there") == "HELLO THERE"


def test_reference_text_before_a_stray_closing_bracket_is_removed():
    assert ref1("noise] hello there") == "HELLO THERE"


def test_reference_word_count_markup_becomes_that_many_unknown_tokens():
    assert ref1("call {w:3} today") == f"CALL {UNKNOWN_TOKEN} {UNKNOWN_TOKEN} {UNKNOWN_TOKEN} TODAY"


def test_reference_uncertain_markup_becomes_one_unknown_token():
    assert ref1("call {u:bob or rob} today") == f"CALL {UNKNOWN_TOKEN} TODAY"


def test_reference_other_curly_markup_keeps_its_text():
    assert ref1("play {x:despacito} please") == "PLAY DESPACITO PLEASE"


def test_reference_word_count_markup_without_a_count_is_refused():
    with pytest.raises(ReferenceFormatError, match=r"\{w:\}"):
        ref1("call {w:} today")


def test_reference_tilde_spelled_letters_are_separate_words():
    assert ref1("~T ~V") == "T V"


def test_reference_asterisk_becomes_a_space():
    assert ref1("hel*lo") == "HEL LO"


def test_reference_hyphen_separates_words():
    assert ref1("a well-known fact") == "A WELL KNOWN FACT"


def test_reference_parenthesised_disfluency_is_kept_in_ref1():
    assert ref1("I (um) want (uh) water") == "I UM WANT UH WATER"


def test_reference_parenthesised_disfluency_is_removed_in_ref2():
    assert ref2("I (um) want (uh) water") == "I WANT WATER"


def test_reference_code_switch_content_is_kept_in_ref2_without_its_label():
    assert ref2("say (cs:hola amigo) now") == "SAY HOLA AMIGO NOW"


def test_reference_assistant_content_is_kept_in_both_without_its_label():
    assert ref1("(assistant: play music)") == ref2("(assistant: play music)") == "PLAY MUSIC"


def test_reference_email_is_spoken_with_at_and_dot():
    assert ref1("write to john.doe@gmail.com.") == "WRITE TO JOHN DOT DOE AT GMAIL DOT COM"


def test_reference_lone_at_sign_is_spoken_at():
    assert ref1("meet me @ the park") == "MEET ME AT THE PARK"


def test_reference_apostrophes_at_word_edges_are_stripped():
    assert ref1("'quoted' words' end") == "QUOTED WORDS END"


def test_reference_other_symbols_become_spaces():
    assert ref1("yes/no; maybe!") == "YES NO MAYBE"


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("7 days", "SEVEN DAYS"),
        ("123 people", "ONE HUNDRED TWENTY THREE PEOPLE"),
        ("2,500 steps", "TWO THOUSAND FIVE HUNDRED STEPS"),
        ("the 3rd time", "THE THIRD TIME"),
        ("the 21st century", "THE TWENTY FIRST CENTURY"),
        ("3.5 miles", "THREE POINT FIVE MILES"),
        ("$5", "FIVE DOLLARS"),
        ("$5.50", "FIVE DOLLARS FIFTY CENTS"),
        ("50%", "FIFTY PERCENT"),
        ("at 10:30", "AT TEN THIRTY"),
        ("at 3:05", "AT THREE OH FIVE"),
        ("at 3:00", "AT THREE O'CLOCK"),
        ("in 1990", "IN NINETEEN NINETY"),
        ("in 1905", "IN NINETEEN OH FIVE"),
        ("in 2005", "IN TWO THOUSAND FIVE"),
        ("in 2021", "IN TWENTY TWENTY ONE"),
        ("the 1960s", "THE NINETEEN SIXTIES"),
        ("covid19", "COVID NINETEEN"),
    ],
)
def test_reference_numbers_are_written_as_words(written, spoken):
    assert ref1(written) == spoken


@pytest.mark.parametrize("acronym", ["TV", "USA", "CNN", "FBI", "DNA", "OK", "DVD"])
def test_reference_acronyms_named_in_the_contract_are_split_into_letters(acronym):
    assert ref1(f"the {acronym} is here") == f"THE {' '.join(acronym)} IS HERE"


def test_reference_acronym_list_has_about_170_entries():
    assert 150 <= len(SPELLED_ACRONYMS) <= 220


def test_reference_acronym_possessive_keeps_its_s():
    assert ref1("CNN's report") == "C N N'S REPORT"


def test_reference_lower_case_word_is_not_taken_for_an_acronym():
    assert ref1("ok then, tv off") == "OK THEN TV OFF"


def test_reference_unlisted_capitals_stay_one_word():
    assert ref1("NASA launched") == "NASA LAUNCHED"


def test_reference_output_is_clean_under_the_hypothesis_rule():
    reference = ref1("At 10:30 (um) I watched TV [noise] with {w:1} friends, café's open!")
    assert clean_hypothesis(reference) == reference


# ---- #ts transcripts --------------------------------------------------------------------------


def test_timestamped_transcript_gives_its_spans_in_order():
    spans = parse_timestamped("#ts\n0.5 1.25 hello there\n2 3.5 bye")
    assert spans == [(0.5, 1.25, "hello there"), (2.0, 3.5, "bye")]


def test_timestamped_transcript_accepts_clock_times():
    assert parse_timestamped("#ts\n1:02.5 0:01:04 later") == [(62.5, 64.0, "later")]


def test_timestamped_line_without_times_is_refused_with_its_line_number():
    with pytest.raises(ReferenceFormatError, match="line 2"):
        parse_timestamped("#ts\n0 1 ok\nhello there")


def test_timestamped_span_ending_before_its_start_is_refused():
    with pytest.raises(ReferenceFormatError, match="line 1"):
        parse_timestamped("#ts\n3 1 backwards")


def test_transcript_without_ts_marker_is_not_parsed_as_timestamped():
    with pytest.raises(ReferenceFormatError, match="#ts"):
        parse_timestamped("0 1 hello")


# ---- SAPC2 normaliser -------------------------------------------------------------------------


def test_sapc2_lower_cases_and_drops_punctuation():
    assert sapc2_normalize("Hello, World!") == "hello world"


def test_sapc2_removes_fillers():
    assert sapc2_normalize("UM I UH WANT HMM WATER") == "i want water"


def test_sapc2_writes_numbers_as_digits():
    assert sapc2_normalize("TWENTY FIVE DOLLARS") == "$25"


def test_sapc2_joins_runs_of_single_letters():
    assert sapc2_normalize("I WATCHED T V") == "i watched tv"


def test_sapc2_joins_dotted_letters():
    assert sapc2_normalize("the U.S.A today") == "the usa today"


def test_sapc2_does_not_join_the_s_of_a_contraction():
    assert sapc2_normalize("HERE'S A") == "here is a"


def test_sapc2_keeps_the_unknown_token_as_unk():
    assert sapc2_normalize(f"CALL {UNKNOWN_TOKEN} NOW") == "call unk now"


def test_sapc2_reference_keeps_disfluencies_in_ref1_only():
    assert sapc2_reference("I (like) want water", keep_disfluencies=True) == "i like want water"
    assert sapc2_reference("I (like) want water", keep_disfluencies=False) == "i want water"


def test_sapc2_reference_joins_tilde_letters():
    assert sapc2_reference("turn on the ~T ~V", keep_disfluencies=True) == "turn on the tv"


def test_sapc2_reference_does_not_join_pronoun_and_article():
    assert sapc2_reference("Am I a good cook? [laughs]", keep_disfluencies=True) == "am i a good cook"


def test_sapc2_reference_writes_unknown_words_as_unk():
    assert sapc2_reference("call {w:2} now", keep_disfluencies=True) == "call unk unk now"
