"""SAPC2's text normaliser: the one the 2026 organisers run on references and hypotheses alike.

The 2026 challenge scores CER and WER on text that has gone through a modified Whisper / Open ASR
Leaderboard English normaliser, so a local score only agrees with the server's if every rule below is
reproduced, quirks included: the server's references were made with these quirks and a hypothesis that
is "more correct" than them loses points. In the order the organisers apply them:

1. runs of single letters are joined ("T V" -> "TV", "U.S.A." -> "USA.", "~C ~B" -> "CB");
2. "St." becomes "saint" before a capitalised word, "street" otherwise;
3. lower case; "it's", "that's", "let's" and a few other 's forms become "<word> is"
   (possessives such as "mom's" stay; so does "it’s" with a curly apostrophe, which later splits);
4. with markup on (references only): "[...]" is dropped, "{w:N}" becomes N "UNK", "{u:...}" and "{ }"
   one "UNK", other "{tag:text}" keep text; "(...)" is kept, or dropped when disfluencies are removed,
   except "(tag: text)" which keeps its text either way;
5. fillers (hmm, mm, mhm, mmm, uh, um) vanish; quotes and edge apostrophes become spaces;
6. contractions and titles are expanded ("can't" -> "can not", "Dr" -> "doctor", "'ve" -> " have");
7. commas between digits and periods not before a digit go; punctuation and symbols become spaces
   except . ' % $ ¢ € £; accents are dropped ("Łódź" -> "lodz");
8. number words become digits ("forty-five" -> "45", "five o’clock" -> "50 clock", "one" stays "one");
9. British spellings become American ones; stray symbols are cleared and spaces collapsed.

The result is not stripped: a reference can keep a space at either end, as the organisers' CSV does.
The organisers' package also ships a list of acronyms to split into letters, but this normaliser
never uses it (SAPC1's reference normaliser is the one that splits acronyms).
"""

import re
import unicodedata
from fractions import Fraction

__all__ = ["normalize", "reference", "hypothesis", "HYPOTHESIS_MAX_WORDS", "HYPOTHESIS_MAX_WORD_CHARS"]

HYPOTHESIS_MAX_WORDS = 512
HYPOTHESIS_MAX_WORD_CHARS = 64


def normalize(text: str, apply_markup: bool, remove_parentheses: bool = False) -> str:
    """Normalise `text` as the organisers' `EnglishTextNormalizer().norm` does.

    `apply_markup` turns on the transcript conventions (brackets, braces, parentheses); it is what
    separates a reference from a hypothesis. `remove_parentheses` only matters with markup on.
    """
    if not isinstance(text, str):
        raise TypeError(f"SAPC2 normaliser: text must be a str, got {type(text).__name__}: {text!r}")
    s = _join_single_letters(text)
    s = _expand_st(s)
    s = s.lower()
    s = _expand_is_contractions(s)
    if apply_markup:
        s = _apply_markup(s, remove_parentheses, original=text)
    s = _FILLER.sub("", s)
    s = s.replace('"', " ")
    s = _EDGE_APOSTROPHE.sub(" ", s)
    for pattern, replacement in _CONTRACTIONS:
        s = pattern.sub(replacement, s)
    s = _DIGIT_COMMA.sub(r"\1\2", s)
    s = re.sub(r"\.+", ".", s)
    s = _PERIOD_NOT_BEFORE_DIGIT.sub(" ", s)
    s = _symbols_to_spaces(s)
    s = _NUMBERS(s)
    s = " ".join(_BRITISH_TO_AMERICAN.get(word, word) for word in s.split())
    s = _PERIOD_NOT_BEFORE_DIGIT.sub(" ", s)
    s = re.sub(r"[.$¢€£]([^0-9])", r" \1", s)
    s = re.sub(r"([^0-9])%", r"\1 ", s)
    return re.sub(r"\s+", " ", s)


def reference(transcript: str, remove_parentheses: bool) -> str:
    """One of the two references the organisers make of a raw transcript.

    `remove_parentheses=False` gives `norm_text_with_disfluency` (ref1), `True` gives
    `norm_text_without_disfluency` (ref2). Raises ValueError on a "{w:...}" holding more than one
    number, where the organisers' script stops with an AssertionError.
    """
    return normalize(transcript, apply_markup=True, remove_parentheses=remove_parentheses)


def hypothesis(text: str) -> str:
    """A system's output as the organisers score it: normalised without markup, then limited.

    Words beyond the first HYPOTHESIS_MAX_WORDS (512) of the normalised text are dropped, and each
    remaining word longer than HYPOTHESIS_MAX_WORD_CHARS (64) characters is cut to its first 64, silently
    and exactly as the server does, so a runaway output is scored on what is left. Words are re-joined
    with single spaces, so the result never starts or ends with a space.
    """
    words = normalize(text, apply_markup=False).split()[:HYPOTHESIS_MAX_WORDS]
    return " ".join(word[:HYPOTHESIS_MAX_WORD_CHARS] for word in words)


# --- 1. single letters -------------------------------------------------------------------------
# Letters a speaker spells out are one word to the organisers. A letter right after an apostrophe
# ("HERE'S A B") does not start a run. Each rule sees the previous one's output.
_LETTER_RUNS = [
    re.compile(r"(?<!')\b[A-Z]\b(?:\s+\b[A-Z]\b)+"),
    re.compile(r"(?<!')\b[a-z]\b(?:\s+\b[a-z]\b)+"),
    re.compile(r"\b[A-Za-z]\.[A-Za-z](?:\.[A-Za-z])*\b"),
    re.compile(r"\b[A-Za-z]-[A-Za-z](?:-[A-Za-z])*\b"),
    re.compile(r"~[A-Za-z](?:\s+~[A-Za-z])+"),
]


def _join_single_letters(s: str) -> str:
    for run in _LETTER_RUNS:
        s = run.sub(lambda m: "".join(re.findall(r"[A-Za-z]", m.group())), s)
    return s


# --- 2. St. ------------------------------------------------------------------------------------
# "St." with its period, and whatever non-space text follows it (which is consumed with it: a second
# "St." right behind the first is left alone).
_ST = re.compile(r"\bSt\.(\s*\S*)")


def _expand_st(s: str) -> str:
    def expand(m):
        after = m.group(1)
        word = "saint" if re.match(r"\s*[A-Z]", after) else "street"
        return f"{word} {after.lstrip()}"

    return _ST.sub(expand, s)


# --- 3. 's that means "is" ----------------------------------------------------------------------
_IS_CONTRACTIONS = {
    "it's", "what's", "where's", "when's", "why's", "how's", "who's", "that's", "there's", "here's",
    "she's", "he's", "let's", "coffee's",
}
_APOSTROPHE_S = re.compile(r"\b(\w+)'s\b", re.IGNORECASE)


def _expand_is_contractions(s: str) -> str:
    return _APOSTROPHE_S.sub(
        lambda m: f"{m.group(1)} is" if m.group(0).lower() in _IS_CONTRACTIONS else m.group(0), s
    )


# --- 4. transcript markup ----------------------------------------------------------------------
# Inside braces and parentheses a tag is everything before the LAST colon, provided it is not empty;
# the tag is replaced by one space.


def _split_tag(content: str):
    """(tag, rest from the last colon on) or (None, content) when there is no non-empty tag."""
    colon = content.rfind(":")
    if colon <= 0:
        return None, content
    return content[:colon], content[colon:]


def _brace_content(content: str, original: str) -> str:
    tag, rest = _split_tag(content)
    if tag == "w":
        counts = re.findall(r"\d+", content)
        if not counts:
            return " "
        if len(counts) > 1:
            raise ValueError(
                f"SAPC2 markup {{{content}}} in {original!r}: a {{w:N}} must hold exactly one number"
            )
        return " ".join(["UNK"] * int(counts[0]))
    if tag == "u" or content == " ":
        return "UNK"
    kept = content if tag is None else " " + rest
    return kept.replace(":", " ")


def _parenthesis_without_disfluency(content: str) -> str:
    tag, rest = _split_tag(content)
    return "" if tag is None else (" " + rest).replace(":", " ")


def _parenthesis_with_disfluency(content: str) -> str:
    tag, rest = _split_tag(content)
    return "(" + (content if tag is None else " " + rest) + ")"


def _apply_markup(s: str, remove_parentheses: bool, original: str) -> str:
    s = re.sub(r"\[.*?\]", " ", s)
    # A "]" left without its "[" takes everything before it on its line with it.
    s = re.sub(r".*?\]", " ", s)
    s = re.sub(r"\{(.*?)\}", lambda m: "{" + _brace_content(m.group(1), original) + "}", s)
    inner = _parenthesis_without_disfluency if remove_parentheses else _parenthesis_with_disfluency
    return re.sub(r"\((.*?)\)", lambda m: inner(m.group(1)), s)


# --- 5-7. fillers, quotes, contractions, punctuation ---------------------------------------------
_FILLER = re.compile(r"\b(?:hmm|mm|mhm|mmm|uh|um)\b")
_EDGE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_DIGIT_COMMA = re.compile(r"(\d),(\d)")
_PERIOD_NOT_BEFORE_DIGIT = re.compile(r"\.(?!\d)")

# Applied one after another, in this order ("can't" must meet its own rule before "n't" does).
_WHOLE_WORDS = {
    "won't": "will not", "can't": "can not", "let's": "let us", "ain't": "aint", "y'all": "you all",
    "wanna": "want to", "gotta": "got to", "gonna": "going to", "i'ma": "i am going to",
    "imma": "i am going to", "woulda": "would have", "coulda": "could have", "shoulda": "should have",
    "ma'am": "madam",
}
# Titles keep a space after the expansion ("dr." -> "doctor ."). "st" has its own rule (step 2).
_TITLES = {
    "mr": "mister", "mrs": "missus", "dr": "doctor", "prof": "professor", "capt": "captain",
    "gov": "governor", "ald": "alderman", "gen": "general", "sen": "senator", "rep": "representative",
    "pres": "president", "rev": "reverend", "hon": "honorable", "asst": "assistant",
    "assoc": "associate", "lt": "lieutenant", "col": "colonel", "jr": "junior", "sr": "senior",
    "esq": "esquire",
}
# Endings, matched wherever they close a word; "'s" alone is left alone (possessives).
_ENDINGS = {
    "'d been": " had been", "'s been": " has been", "'d gone": " had gone", "'s gone": " has gone",
    "'d done": " had done", "'s got": " has got",
    "n't": " not", "'re": " are", "'d": " would", "'ll": " will", "'t": " not", "'ve": " have",
    "'m": " am", "'em": " them",
}
_CONTRACTIONS = (
    [(re.compile(rf"\b{re.escape(w)}\b"), r) for w, r in _WHOLE_WORDS.items()]
    + [(re.compile(rf"\b{w}\b"), r + " ") for w, r in _TITLES.items()]
    + [(re.compile(rf"{re.escape(e)}\b"), r) for e, r in _ENDINGS.items()]
    + [(re.compile(r"\.{2,}"), " ")]
)

# Letters NFKD does not split into a base letter and an accent.
_UNSPLIT_LETTERS = {
    "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS", "đ": "d",
    "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "th", "ł": "l", "Ł": "L",
}
# Kept because the number rules read them.
_NUMERIC_SYMBOLS = ".'%$¢€£"


def _symbols_to_spaces(s: str) -> str:
    """Accents dropped, every other mark, symbol or punctuation a space (NFKD first: "½" is "1⁄2")."""
    out = []
    for char in unicodedata.normalize("NFKD", s):
        category = unicodedata.category(char)
        if char in _NUMERIC_SYMBOLS:
            out.append(char)
        elif char in _UNSPLIT_LETTERS:
            out.append(_UNSPLIT_LETTERS[char])
        elif category == "Mn":
            continue
        elif category[0] in "MSP":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


# --- 8. numbers --------------------------------------------------------------------------------
# openai-whisper's number rules, with the organisers' change to the final "1" -> "one" step. They read
# the text one word at a time, building a pending value (an int, or a str once digits are being
# strung together as in "one oh one" -> "101") and a pending sign or currency symbol, and write the
# value out when a word cannot extend it. The quirks are the organisers': "o" and "oh" are zeros
# ("five o clock" -> "50 clock"), "second" is an ordinal ("a 2nd"), "nineth" is but "ninth" is not,
# "007" is 7.
_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALE_WORDS = ["hundred", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion",
                "sextillion", "septillion", "octillion", "nonillion", "decillion"]
_ARABIC = re.compile(r"^\d+(\.\d+)?$")


def _fraction(text):
    try:
        return Fraction(text)
    except ValueError:
        return None


class _NumberWords:
    """Number words to digits ("two hundred and five" -> "205", "twenty dollars" -> "$20")."""

    def __init__(self):
        self.zeros = {"o", "oh", "zero"}
        self.units = {name: n for n, name in enumerate(_UNITS, start=1)}
        unit_ordinals = {"zeroth": (0, "th"), "first": (1, "st"), "second": (2, "nd"), "third": (3, "rd"),
                         "fifth": (5, "th"), "twelfth": (12, "th")}
        for name, n in self.units.items():
            if n > 3 and n not in (5, 12):
                unit_ordinals[name + ("h" if name.endswith("t") else "th")] = (n, "th")
        self.units_suffixed = {("sixes" if name == "six" else name + "s"): (n, "s")
                               for name, n in self.units.items()}
        self.units_suffixed.update(unit_ordinals)
        self.tens = {name: 10 * n for n, name in enumerate(_TENS_WORDS, start=2)}
        self.tens_suffixed = {name.replace("y", "ies"): (n, "s") for name, n in self.tens.items()}
        self.tens_suffixed.update({name.replace("y", "ieth"): (n, "th") for name, n in self.tens.items()})
        self.scales = {name: 10 ** (3 * k) if k else 100 for k, name in enumerate(_SCALE_WORDS)}
        self.scales_suffixed = {name + "s": (n, "s") for name, n in self.scales.items()}
        self.scales_suffixed.update({name + "th": (n, "th") for name, n in self.scales.items()})
        self.decimals = set(self.units) | set(self.tens) | self.zeros
        self.signs = {"minus": "-", "negative": "-", "plus": "+", "positive": "+"}
        self.currencies = {"pound": "£", "pounds": "£", "euro": "€", "euros": "€", "dollar": "$",
                           "dollars": "$", "cent": "¢", "cents": "¢"}
        self.symbols = set(self.signs.values()) | set(self.currencies.values())
        self.specials = {"and", "double", "triple", "point"}
        self.vocabulary = (self.zeros | set(self.units) | set(self.units_suffixed) | set(self.tens)
                           | set(self.tens_suffixed) | set(self.scales) | set(self.scales_suffixed)
                           | set(self.signs) | set(self.currencies) | {"per", "percent"} | self.specials)

    def __call__(self, s: str) -> str:
        s = self._halves(s)
        s = re.sub(r"([a-z])([0-9])", r"\1 \2", s)
        s = re.sub(r"([0-9])([a-z])", r"\1 \2", s)
        s = re.sub(r"([0-9])\s+(st|nd|rd|th|s)\b", r"\1\2", s)
        s = " ".join(_Reading(self, s.split()).words())
        # "$2 and ¢7" -> "$2.07"; "$0.07" -> "¢7" (its "." is any character, as the organisers wrote it)
        s = re.sub(r"([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})\b",
                   lambda m: f"{m.group(1)}{m.group(2)}.{int(m.group(3)):02d}", s)
        s = re.sub(r"[€£$]0.([0-9]{1,2})\b", lambda m: f"¢{int(m.group(1))}", s)
        # A lone 1 is written "one" again, but not inside a decimal ("1.30").
        return re.sub(r"(?<!\d)(?<!\.)1(s?)(?!\.)(?!\d)\b", r"one\1", s)

    def _halves(self, s: str) -> str:
        """"<number> and a half" -> "<number> point five". A piece of text that is blank, such as the
        start of "and a half hours", is dropped together with the "and a half" that follows it."""
        pieces = re.split(r"\band\s+a\s+half\b", s)
        kept = []
        for i, piece in enumerate(pieces):
            if not piece.strip():
                continue
            kept.append(piece)
            if i < len(pieces) - 1:
                last = piece.rsplit(maxsplit=2)[-1]
                kept.append("point five" if last in self.decimals or last in self.scales else "and a half")
        return " ".join(kept)


class _Reading:
    """One left-to-right pass of the number rules over a list of words."""

    def __init__(self, rules: _NumberWords, words):
        self.rules = rules
        self.list = words
        self.value = None  # the number being built: int, or str when digits are concatenated
        self.symbol = None  # sign or currency symbol to write before the next word out

    def emit(self, text) -> str:
        text = str(text)
        if self.symbol is not None:
            text = self.symbol + text
        self.value = None
        self.symbol = None
        return text

    def flush(self):
        """The pending value, if any, as a list of zero or one words out."""
        return [] if self.value is None else [self.emit(self.value)]

    def words(self):
        r = self.rules
        skip_next = False
        for i, word in enumerate(self.list):
            if skip_next:
                skip_next = False
                continue
            prev = self.list[i - 1] if i > 0 else None
            nxt = self.list[i + 1] if i + 1 < len(self.list) else None
            nxt_is_arabic = nxt is not None and _ARABIC.match(nxt) is not None
            signed = word[0] in r.symbols
            bare = word[1:] if signed else word

            if _ARABIC.match(bare):
                if self.value is not None:
                    if isinstance(self.value, str) and self.value.endswith("."):
                        self.value += word  # the digits after "point"
                        continue
                    yield self.emit(self.value)
                if signed:
                    self.symbol = word[0]
                number = _fraction(bare)
                self.value = number.numerator if number.denominator == 1 else bare
            elif word not in r.vocabulary:
                yield from self.flush()
                yield self.emit(word)
            elif word in r.zeros:
                self.value = str(self.value or "") + "0"
            elif word in r.units:
                self.value = self._add_unit(r.units[word], prev)
            elif word in r.units_suffixed:
                n, suffix = r.units_suffixed[word]
                yield self.emit(str(self._add_unit(n, prev)) + suffix)
            elif word in r.tens:
                self.value = self._add_tens(r.tens[word])
            elif word in r.tens_suffixed:
                n, suffix = r.tens_suffixed[word]
                yield self.emit(str(self._add_tens(n)) + suffix)
            elif word in r.scales:
                yield from self._scale(r.scales[word])
            elif word in r.scales_suffixed:
                yield from self._scale_suffixed(*r.scales_suffixed[word])
            elif word in r.signs:
                yield from self.flush()
                if nxt in r.vocabulary or nxt_is_arabic:
                    self.symbol = r.signs[word]
                else:
                    yield self.emit(word)
            elif word in r.currencies:
                if self.value is not None:
                    self.symbol = r.currencies[word]
                    yield self.emit(self.value)
                else:
                    yield self.emit(word)
            elif word in ("per", "percent"):
                if self.value is None:
                    yield self.emit(word)
                elif word == "percent":
                    yield self.emit(str(self.value) + "%")
                elif nxt == "cent":
                    yield self.emit(str(self.value) + "%")
                    skip_next = True
                else:
                    yield self.emit(self.value)
                    yield self.emit(word)
            elif nxt not in r.vocabulary and not nxt_is_arabic:
                # "and", "double", "triple", "point" before a word that cannot be part of a number
                yield from self.flush()
                yield self.emit(word)
            elif word == "and":
                if prev not in r.scales:  # "hundred and five" is 105
                    yield from self.flush()
                    yield self.emit(word)
            elif word in ("double", "triple"):
                if nxt in r.units or nxt in r.zeros:
                    digit = str(r.units.get(nxt, 0))
                    self.value = str(self.value or "") + digit * (2 if word == "double" else 3)
                    skip_next = True
                else:
                    yield from self.flush()
                    yield self.emit(word)
            elif nxt in r.decimals or nxt_is_arabic:  # "point" before a digit
                self.value = str(self.value or "") + "."
            # else: "point" before another number word that is not a digit vanishes
        yield from self.flush()

    def _add_unit(self, n: int, prev):
        """The pending value extended by a unit word (one .. nineteen)."""
        value = self.value
        if value is None:
            return n
        if isinstance(value, str) or prev in self.rules.units:
            if prev in self.rules.tens and n < 10:
                return value[:-1] + str(n)  # "oh twenty one" -> "021"
            return str(value) + str(n)
        if value % (10 if n < 10 else 100) == 0:
            return value + n
        return str(value) + str(n)

    def _add_tens(self, n: int):
        value = self.value
        if value is None:
            return n
        if isinstance(value, str) or value % 100 != 0:
            return str(value) + str(n)
        return value + n

    def _scale(self, scale: int):
        """A scale word (hundred, thousand, ...) multiplies what is pending; returns the words out."""
        value = self.value
        if value is None:
            self.value = scale
            return []
        if isinstance(value, str) or value == 0:
            number = _fraction(value)
            if number is not None and (number * scale).denominator == 1:
                self.value = (number * scale).numerator
                return []
            out = [self.emit(value)]
            self.value = scale
            return out
        self.value = value // 1000 * 1000 + value % 1000 * scale
        return []

    def _scale_suffixed(self, scale: int, suffix: str):
        """"hundreds", "thousandth": the number is finished; returns the words out."""
        value = self.value
        if value is None:
            out = [self.emit(str(scale) + suffix)]
        elif isinstance(value, str):
            number = _fraction(value)
            if number is not None and (number * scale).denominator == 1:
                out = [self.emit(str((number * scale).numerator) + suffix)]
            else:
                out = [self.emit(value), self.emit(str(scale) + suffix)]
        else:
            out = [self.emit(str(value // 1000 * 1000 + value % 1000 * scale) + suffix)]
        self.value = None
        return out


_NUMBERS = _NumberWords()


# --- 9. spelling -------------------------------------------------------------------------------
# The organisers' British -> American table, taken as data (1739 pairs, "british:american"). It is
# close to openai-whisper's english.json but not the same (it maps "cancellation" to "cancelation"
# where whisper maps the other way, adds "mm" -> "hmm", and differs on "pummelled"), so it is kept here. Their one key with spaces in it ("flyer / flier") can never match a single word and
# is left out.
_BRITISH_TO_AMERICAN = dict(pair.split(":") for pair in """
accessorise:accessorize accessorised:accessorized accessorises:accessorizes
accessorising:accessorizing acclimatisation:acclimatization acclimatise:acclimatize
acclimatised:acclimatized acclimatises:acclimatizes acclimatising:acclimatizing
accoutrements:accouterments aeon:eon aeons:eons aerogramme:aerogram aerogrammes:aerograms
aeroplane:airplane aeroplanes:airplanes aesthete:esthete aesthetes:esthetes aesthetic:esthetic
aesthetically:esthetically aesthetics:esthetics aetiology:etiology ageing:aging
aggrandisement:aggrandizement agonise:agonize agonised:agonized agonises:agonizes
agonising:agonizing agonisingly:agonizingly almanack:almanac almanacks:almanacs aluminium:aluminum
amortisable:amortizable amortisation:amortization amortisations:amortizations amortise:amortize
amortised:amortized amortises:amortizes amortising:amortizing amphitheatre:amphitheater
amphitheatres:amphitheaters anaemia:anemia anaemic:anemic anaesthesia:anesthesia
anaesthetic:anesthetic anaesthetics:anesthetics anaesthetise:anesthetize anaesthetised:anesthetized
anaesthetises:anesthetizes anaesthetising:anesthetizing anaesthetist:anesthetist
anaesthetists:anesthetists anaesthetize:anesthetize anaesthetized:anesthetized
anaesthetizes:anesthetizes anaesthetizing:anesthetizing analogue:analog analogues:analogs
analyse:analyze analysed:analyzed analyses:analyzes analysing:analyzing anglicise:anglicize
anglicised:anglicized anglicises:anglicizes anglicising:anglicizing annualised:annualized
antagonise:antagonize antagonised:antagonized antagonises:antagonizes antagonising:antagonizing
apologise:apologize apologised:apologized apologises:apologizes apologising:apologizing appal:appall
appals:appalls appetiser:appetizer appetisers:appetizers appetising:appetizing
appetisingly:appetizingly arbour:arbor arbours:arbors archaeologically:archeologically
archaeologist:archeologist archaeologists:archeologists archaeology:archeology
archaeological:archeological ardour:ardor armour:armor armoured:armored armourer:armorer
armourers:armorers armouries:armories armoury:armory artefact:artifact artefacts:artifacts
authorise:authorize authorised:authorized authorises:authorizes authorising:authorizing axe:ax
backpedalled:backpedaled backpedalling:backpedaling bannister:banister bannisters:banisters
baptise:baptize baptised:baptized baptises:baptizes baptising:baptizing bastardise:bastardize
bastardised:bastardized bastardises:bastardizes bastardising:bastardizing battleax:battleaxe
baulk:balk baulked:balked baulking:balking baulks:balks bedevilled:bedeviled bedevilling:bedeviling
behaviour:behavior behavioural:behavioral behaviourism:behaviorism behaviourist:behaviorist
behaviourists:behaviorists behaviours:behaviors behove:behoove behoved:behooved behoves:behooves
bejewelled:bejeweled belabour:belabor belaboured:belabored belabouring:belaboring belabours:belabors
bevelled:beveled bevvies:bevies bevvy:bevy biassed:biased biassing:biasing bingeing:binging
bougainvillaea:bougainvillea bougainvillaeas:bougainvilleas bowdlerise:bowdlerize
bowdlerised:bowdlerized bowdlerises:bowdlerizes bowdlerising:bowdlerizing breathalyse:breathalyze
breathalysed:breathalyzed breathalyser:breathalyzer breathalysers:breathalyzers
breathalyses:breathalyzes breathalysing:breathalyzing brutalise:brutalize brutalised:brutalized
brutalises:brutalizes brutalising:brutalizing busses:buses bussing:busing caesarean:cesarean
caesareans:cesareans calibre:caliber calibres:calibers calliper:caliper callipers:calipers
callisthenics:calisthenics canalise:canalize canalised:canalized canalises:canalizes
canalising:canalizing cancellation:cancelation cancellations:cancelations cancelled:canceled
cancelling:canceling candour:candor cannibalise:cannibalize cannibalised:cannibalized
cannibalises:cannibalizes cannibalising:cannibalizing canonise:canonize canonised:canonized
canonises:canonizes canonising:canonizing capitalise:capitalize capitalised:capitalized
capitalises:capitalizes capitalising:capitalizing caramelise:caramelize caramelised:caramelized
caramelises:caramelizes caramelising:caramelizing carbonise:carbonize carbonised:carbonized
carbonises:carbonizes carbonising:carbonizing carolled:caroled carolling:caroling catalogue:catalog
catalogued:cataloged catalogues:catalogs cataloguing:cataloging catalyse:catalyze
catalysed:catalyzed catalyses:catalyzes catalysing:catalyzing categorise:categorize
categorised:categorized categorises:categorizes categorising:categorizing cauterise:cauterize
cauterised:cauterized cauterises:cauterizes cauterising:cauterizing cavilled:caviled
cavilling:caviling centigramme:centigram centigrammes:centigrams centilitre:centiliter
centilitres:centiliters centimetre:centimeter centimetres:centimeters centralise:centralize
centralised:centralized centralises:centralizes centralising:centralizing centre:center
centred:centered centrefold:centerfold centrefolds:centerfolds centrepiece:centerpiece
centrepieces:centerpieces centres:centers channelled:channeled channelling:channeling
characterise:characterize characterised:characterized characterises:characterizes
characterising:characterizing cheque:check chequebook:checkbook chequebooks:checkbooks
chequered:checkered cheques:checks chilli:chili chimaera:chimera chimaeras:chimeras
chiselled:chiseled chiselling:chiseling circularise:circularize circularised:circularized
circularises:circularizes circularising:circularizing civilise:civilize civilised:civilized
civilises:civilizes civilising:civilizing clamour:clamor clamoured:clamored clamouring:clamoring
clamours:clamors clangour:clangor clarinettist:clarinetist clarinettists:clarinetists
collectivise:collectivize collectivised:collectivized collectivises:collectivizes
collectivising:collectivizing colonisation:colonization colonise:colonize colonised:colonized
coloniser:colonizer colonisers:colonizers colonises:colonizes colonising:colonizing colour:color
colourant:colorant colourants:colorants coloured:colored coloureds:coloreds colourful:colorful
colourfully:colorfully colouring:coloring colourize:colorize colourized:colorized
colourizes:colorizes colourizing:colorizing colourless:colorless colours:colors
commercialise:commercialize commercialised:commercialized commercialises:commercializes
commercialising:commercializing compartmentalise:compartmentalize
compartmentalised:compartmentalized compartmentalises:compartmentalizes
compartmentalising:compartmentalizing computerise:computerize computerised:computerized
computerises:computerizes computerising:computerizing conceptualise:conceptualize
conceptualised:conceptualized conceptualises:conceptualizes conceptualising:conceptualizing
connexion:connection connexions:connections contextualise:contextualize
contextualised:contextualized contextualises:contextualizes contextualising:contextualizing
cosier:cozier cosies:cozies cosiest:coziest cosily:cozily cosiness:coziness cosy:cozy
councillor:councilor councillors:councilors counselled:counseled counselling:counseling
counsellor:counselor counsellors:counselors crenelated:crenellated criminalise:criminalize
criminalised:criminalized criminalises:criminalizes criminalising:criminalizing criticise:criticize
criticised:criticized criticises:criticizes criticising:criticizing crueller:crueler
cruellest:cruelest crystallisation:crystallization crystallise:crystallize crystallised:crystallized
crystallises:crystallizes crystallising:crystallizing cudgelled:cudgeled cudgelling:cudgeling
customise:customize customised:customized customises:customizes customising:customizing
cypher:cipher cyphers:ciphers decentralisation:decentralization decentralise:decentralize
decentralised:decentralized decentralises:decentralizes decentralising:decentralizing
decriminalisation:decriminalization decriminalise:decriminalize decriminalised:decriminalized
decriminalises:decriminalizes decriminalising:decriminalizing defence:defense
defenceless:defenseless defences:defenses dehumanisation:dehumanization dehumanise:dehumanize
dehumanised:dehumanized dehumanises:dehumanizes dehumanising:dehumanizing demeanour:demeanor
demilitarisation:demilitarization demilitarise:demilitarize demilitarised:demilitarized
demilitarises:demilitarizes demilitarising:demilitarizing demobilisation:demobilization
demobilise:demobilize demobilised:demobilized demobilises:demobilizes demobilising:demobilizing
democratisation:democratization democratise:democratize democratised:democratized
democratises:democratizes democratising:democratizing demonise:demonize demonised:demonized
demonises:demonizes demonising:demonizing demoralisation:demoralization demoralise:demoralize
demoralised:demoralized demoralises:demoralizes demoralising:demoralizing
denationalisation:denationalization denationalise:denationalize denationalised:denationalized
denationalises:denationalizes denationalising:denationalizing deodorise:deodorize
deodorised:deodorized deodorises:deodorizes deodorising:deodorizing depersonalise:depersonalize
depersonalised:depersonalized depersonalises:depersonalizes depersonalising:depersonalizing
deputise:deputize deputised:deputized deputises:deputizes deputising:deputizing
desensitisation:desensitization desensitise:desensitize desensitised:desensitized
desensitises:desensitizes desensitising:desensitizing destabilisation:destabilization
destabilise:destabilize destabilised:destabilized destabilises:destabilizes
destabilising:destabilizing dialled:dialed dialling:dialing dialogue:dialog dialogues:dialogs
diarrhoea:diarrhea digitise:digitize digitised:digitized digitises:digitizes digitising:digitizing
disc:disk discolour:discolor discoloured:discolored discolouring:discoloring discolours:discolors
discs:disks disembowelled:disemboweled disembowelling:disemboweling disfavour:disfavor
dishevelled:disheveled dishonour:dishonor dishonourable:dishonorable dishonourably:dishonorably
dishonoured:dishonored dishonouring:dishonoring dishonours:dishonors disorganisation:disorganization
disorganised:disorganized distil:distill distils:distills dramatisation:dramatization
dramatisations:dramatizations dramatise:dramatize dramatised:dramatized dramatises:dramatizes
dramatising:dramatizing draught:draft draughtboard:draftboard draughtboards:draftboards
draughtier:draftier draughtiest:draftiest draughts:drafts draughtsman:draftsman
draughtsmanship:draftsmanship draughtsmen:draftsmen draughtswoman:draftswoman
draughtswomen:draftswomen draughty:drafty drivelled:driveled drivelling:driveling duelled:dueled
duelling:dueling economise:economize economised:economized economises:economizes
economising:economizing editorialise:editorialize editorialised:editorialized
editorialises:editorializes editorialising:editorializing edoema:edema empathise:empathize
empathised:empathized empathises:empathizes empathising:empathizing emphasise:emphasize
emphasised:emphasized emphasises:emphasizes emphasising:emphasizing enamelled:enameled
enamelling:enameling enamoured:enamored encyclopaedia:encyclopedia encyclopaedias:encyclopedias
encyclopaedic:encyclopedic endeavour:endeavor endeavoured:endeavored endeavouring:endeavoring
endeavours:endeavors energise:energize energised:energized energises:energizes energising:energizing
enrol:enroll enrols:enrolls enthral:enthrall enthrals:enthralls epaulette:epaulet
epaulettes:epaulets epicentre:epicenter epicentres:epicenters epilogue:epilog epilogues:epilogs
epitomise:epitomize epitomised:epitomized epitomises:epitomizes epitomising:epitomizing
equalisation:equalization equalise:equalize equalised:equalized equaliser:equalizer
equalisers:equalizers equalises:equalizes equalising:equalizing eulogise:eulogize
eulogised:eulogized eulogises:eulogizes eulogising:eulogizing evangelise:evangelize
evangelised:evangelized evangelises:evangelizes evangelising:evangelizing exorcise:exorcize
exorcised:exorcized exorcises:exorcizes exorcising:exorcizing extemporisation:extemporization
extemporise:extemporize extemporised:extemporized extemporises:extemporizes
extemporising:extemporizing externalisation:externalization externalisations:externalizations
externalise:externalize externalised:externalized externalises:externalizes
externalising:externalizing factorise:factorize factorised:factorized factorises:factorizes
factorising:factorizing faecal:fecal faeces:feces familiarisation:familiarization
familiarise:familiarize familiarised:familiarized familiarises:familiarizes
familiarising:familiarizing fantasise:fantasize fantasised:fantasized fantasises:fantasizes
fantasising:fantasizing favour:favor favourable:favorable favourably:favorably favoured:favored
favouring:favoring favourite:favorite favourites:favorites favouritism:favoritism favours:favors
feminise:feminize feminised:feminized feminises:feminizes feminising:feminizing
fertilisation:fertilization fertilise:fertilize fertilised:fertilized fertiliser:fertilizer
fertilisers:fertilizers fertilises:fertilizes fertilising:fertilizing fervour:fervor fibre:fiber
fibreglass:fiberglass fibres:fibers fictionalisation:fictionalization
fictionalisations:fictionalizations fictionalise:fictionalize fictionalised:fictionalized
fictionalises:fictionalizes fictionalising:fictionalizing fillet:filet filleted:fileted
filleting:fileting fillets:filets finalisation:finalization finalise:finalize finalised:finalized
finalises:finalizes finalising:finalizing flautist:flutist flautists:flutists flavour:flavor
flavoured:flavored flavouring:flavoring flavourings:flavorings flavourless:flavorless
flavours:flavors flavoursome:flavorsome foetal:fetal foetid:fetid foetus:fetus foetuses:fetuses
formalisation:formalization formalise:formalize formalised:formalized formalises:formalizes
formalising:formalizing fossilisation:fossilization fossilise:fossilize fossilised:fossilized
fossilises:fossilizes fossilising:fossilizing fraternisation:fraternization fraternise:fraternize
fraternised:fraternized fraternises:fraternizes fraternising:fraternizing fulfil:fulfill
fulfilment:fulfillment fulfils:fulfills funnelled:funneled funnelling:funneling gage:gauge
gaged:gauged gages:gauges gaging:gauging galvanise:galvanize galvanised:galvanized
galvanises:galvanizes galvanising:galvanizing gambolled:gamboled gambolling:gamboling gaol:jail
gaolbird:jailbird gaolbirds:jailbirds gaolbreak:jailbreak gaolbreaks:jailbreaks gaoled:jailed
gaoler:jailer gaolers:jailers gaoling:jailing gaols:jails gasses:gases generalisation:generalization
generalisations:generalizations generalise:generalize generalised:generalized
generalises:generalizes generalising:generalizing ghettoise:ghettoize ghettoised:ghettoized
ghettoises:ghettoizes ghettoising:ghettoizing gipsies:gypsies glamor:glamour glamorise:glamorize
glamorised:glamorized glamorises:glamorizes glamorising:glamorizing globalisation:globalization
globalise:globalize globalised:globalized globalises:globalizes globalising:globalizing
glueing:gluing goitre:goiter goitres:goiters gonorrhoea:gonorrhea gramme:gram grammes:grams
gravelled:graveled grey:gray greyed:grayed greying:graying greyish:grayish greyness:grayness
greys:grays grovelled:groveled grovelling:groveling groyne:groin groynes:groins gruelling:grueling
gruellingly:gruelingly gryphon:griffin gryphons:griffins gynaecological:gynecological
gynaecologist:gynecologist gynaecologists:gynecologists gynaecology:gynecology
haematological:hematological haematologist:hematologist haematologists:hematologists
haematology:hematology haemoglobin:hemoglobin haemophilia:hemophilia haemophiliac:hemophiliac
haemophiliacs:hemophiliacs haemorrhage:hemorrhage haemorrhaged:hemorrhaged haemorrhages:hemorrhages
haemorrhaging:hemorrhaging haemorrhoids:hemorrhoids harbour:harbor harboured:harbored
harbouring:harboring harbours:harbors harmonisation:harmonization harmonise:harmonize
harmonised:harmonized harmonises:harmonizes harmonising:harmonizing homoeopath:homeopath
homoeopathic:homeopathic homoeopaths:homeopaths homoeopathy:homeopathy homogenise:homogenize
homogenised:homogenized homogenises:homogenizes homogenising:homogenizing honour:honor
honourable:honorable honourably:honorably honoured:honored honouring:honoring honours:honors
hospitalisation:hospitalization hospitalise:hospitalize hospitalised:hospitalized
hospitalises:hospitalizes hospitalising:hospitalizing humanise:humanize humanised:humanized
humanises:humanizes humanising:humanizing humour:humor humoured:humored humouring:humoring
humourless:humorless humours:humors hybridise:hybridize hybridised:hybridized hybridises:hybridizes
hybridising:hybridizing hypnotise:hypnotize hypnotised:hypnotized hypnotises:hypnotizes
hypnotising:hypnotizing hypothesise:hypothesize hypothesised:hypothesized hypothesises:hypothesizes
hypothesising:hypothesizing idealisation:idealization idealise:idealize idealised:idealized
idealises:idealizes idealising:idealizing idolise:idolize idolised:idolized idolises:idolizes
idolising:idolizing immobilisation:immobilization immobilise:immobilize immobilised:immobilized
immobiliser:immobilizer immobilisers:immobilizers immobilises:immobilizes immobilising:immobilizing
immortalise:immortalize immortalised:immortalized immortalises:immortalizes
immortalising:immortalizing immunisation:immunization immunise:immunize immunised:immunized
immunises:immunizes immunising:immunizing impanelled:impaneled impanelling:impaneling
imperilled:imperiled imperilling:imperiling individualise:individualize
individualised:individualized individualises:individualizes individualising:individualizing
industrialise:industrialize industrialised:industrialized industrialises:industrializes
industrialising:industrializing inflexion:inflection inflexions:inflections initialise:initialize
initialised:initialized initialises:initializes initialising:initializing initialled:initialed
initialling:initialing instal:install instalment:installment instalments:installments
instals:installs instil:instill instils:instills institutionalisation:institutionalization
institutionalise:institutionalize institutionalised:institutionalized
institutionalises:institutionalizes institutionalising:institutionalizing
intellectualise:intellectualize intellectualised:intellectualized intellectualises:intellectualizes
intellectualising:intellectualizing internalisation:internalization internalise:internalize
internalised:internalized internalises:internalizes internalising:internalizing
internationalisation:internationalization internationalise:internationalize
internationalised:internationalized internationalises:internationalizes
internationalising:internationalizing ionisation:ionization ionise:ionize ionised:ionized
ioniser:ionizer ionisers:ionizers ionises:ionizes ionising:ionizing italicise:italicize
italicised:italicized italicises:italicizes italicising:italicizing itemise:itemize
itemised:itemized itemises:itemizes itemising:itemizing jeopardise:jeopardize
jeopardised:jeopardized jeopardises:jeopardizes jeopardising:jeopardizing jewelled:jeweled
jeweller:jeweler jewellers:jewelers jewellery:jewelry judgement:judgment kilogramme:kilogram
kilogrammes:kilograms kilometre:kilometer kilometres:kilometers labelled:labeled labelling:labeling
labour:labor laboured:labored labourer:laborer labourers:laborers labouring:laboring labours:labors
lacklustre:lackluster legalisation:legalization legalise:legalize legalised:legalized
legalises:legalizes legalising:legalizing legitimise:legitimize legitimised:legitimized
legitimises:legitimizes legitimising:legitimizing leukaemia:leukemia levelled:leveled
leveller:leveler levellers:levelers levelling:leveling libelled:libeled libelling:libeling
libellous:libelous liberalisation:liberalization liberalise:liberalize liberalised:liberalized
liberalises:liberalizes liberalising:liberalizing licence:license licenced:licensed
licences:licenses licencing:licensing likeable:likable lionisation:lionization lionise:lionize
lionised:lionized lionises:lionizes lionising:lionizing liquidise:liquidize liquidised:liquidized
liquidiser:liquidizer liquidisers:liquidizers liquidises:liquidizes liquidising:liquidizing
litre:liter litres:liters localise:localize localised:localized localises:localizes
localising:localizing louvre:louver louvred:louvered louvres:louvers lustre:luster
magnetise:magnetize magnetised:magnetized magnetises:magnetizes magnetising:magnetizing
manoeuvrability:maneuverability manoeuvrable:maneuverable manoeuvre:maneuver manoeuvred:maneuvered
manoeuvres:maneuvers manoeuvring:maneuvering manoeuvrings:maneuverings
marginalisation:marginalization marginalise:marginalize marginalised:marginalized
marginalises:marginalizes marginalising:marginalizing marshalled:marshaled marshalling:marshaling
marvelled:marveled marvelling:marveling marvellous:marvelous marvellously:marvelously
materialisation:materialization materialise:materialize materialised:materialized
materialises:materializes materialising:materializing maximisation:maximization maximise:maximize
maximised:maximized maximises:maximizes maximising:maximizing meagre:meager
mechanisation:mechanization mechanise:mechanize mechanised:mechanized mechanises:mechanizes
mechanising:mechanizing mediaeval:medieval memorialise:memorialize memorialised:memorialized
memorialises:memorializes memorialising:memorializing memorise:memorize memorised:memorized
memorises:memorizes memorising:memorizing mesmerise:mesmerize mesmerised:mesmerized
mesmerises:mesmerizes mesmerising:mesmerizing metabolise:metabolize metabolised:metabolized
metabolises:metabolizes metabolising:metabolizing metre:meter metres:meters mhm:hmm
micrometre:micrometer micrometres:micrometers militarise:militarize militarised:militarized
militarises:militarizes militarising:militarizing milligramme:milligram milligrammes:milligrams
millilitre:milliliter millilitres:milliliters millimetre:millimeter millimetres:millimeters
miniaturisation:miniaturization miniaturise:miniaturize miniaturised:miniaturized
miniaturises:miniaturizes miniaturising:miniaturizing minibusses:minibuses minimise:minimize
minimised:minimized minimises:minimizes minimising:minimizing misbehaviour:misbehavior
misdemeanour:misdemeanor misdemeanours:misdemeanors misspelt:misspelled mitre:miter mitres:miters
mm:hmm mmm:hmm mobilisation:mobilization mobilise:mobilize mobilised:mobilized mobilises:mobilizes
mobilising:mobilizing modelled:modeled modeller:modeler modellers:modelers modelling:modeling
modernise:modernize modernised:modernized modernises:modernizes modernising:modernizing
moisturise:moisturize moisturised:moisturized moisturiser:moisturizer moisturisers:moisturizers
moisturises:moisturizes moisturising:moisturizing monologue:monolog monologues:monologs
monopolisation:monopolization monopolise:monopolize monopolised:monopolized monopolises:monopolizes
monopolising:monopolizing moralise:moralize moralised:moralized moralises:moralizes
moralising:moralizing motorised:motorized mould:mold moulded:molded moulder:molder
mouldered:moldered mouldering:moldering moulders:molders mouldier:moldier mouldiest:moldiest
moulding:molding mouldings:moldings moulds:molds mouldy:moldy moult:molt moulted:molted
moulting:molting moults:molts moustache:mustache moustached:mustached moustaches:mustaches
moustachioed:mustachioed multicoloured:multicolored nationalisation:nationalization
nationalisations:nationalizations nationalise:nationalize nationalised:nationalized
nationalises:nationalizes nationalising:nationalizing naturalisation:naturalization
naturalise:naturalize naturalised:naturalized naturalises:naturalizes naturalising:naturalizing
neighbour:neighbor neighbourhood:neighborhood neighbourhoods:neighborhoods neighbouring:neighboring
neighbourliness:neighborliness neighbourly:neighborly neighbours:neighbors
neutralisation:neutralization neutralise:neutralize neutralised:neutralized neutralises:neutralizes
neutralising:neutralizing normalisation:normalization normalise:normalize normalised:normalized
normalises:normalizes normalising:normalizing odour:odor odourless:odorless odours:odors
oesophagus:esophagus oesophaguses:esophaguses oestrogen:estrogen offence:offense offences:offenses
omelette:omelet omelettes:omelets optimise:optimize optimised:optimized optimises:optimizes
optimising:optimizing organisation:organization organisational:organizational
organisations:organizations organise:organize organised:organized organiser:organizer
organisers:organizers organises:organizes organising:organizing orthopaedic:orthopedic
orthopaedics:orthopedics ostracise:ostracize ostracised:ostracized ostracises:ostracizes
ostracising:ostracizing outmanoeuvre:outmaneuver outmanoeuvred:outmaneuvered
outmanoeuvres:outmaneuvers outmanoeuvring:outmaneuvering overemphasise:overemphasize
overemphasised:overemphasized overemphasises:overemphasizes overemphasising:overemphasizing
oxidisation:oxidization oxidise:oxidize oxidised:oxidized oxidises:oxidizes oxidising:oxidizing
paederast:pederast paederasts:pederasts paediatric:pediatric paediatrician:pediatrician
paediatricians:pediatricians paediatrics:pediatrics paedophile:pedophile paedophiles:pedophiles
paedophilia:pedophilia palaeolithic:paleolithic palaeontologist:paleontologist
palaeontologists:paleontologists palaeontology:paleontology panelled:paneled panelling:paneling
panellist:panelist panellists:panelists paralyse:paralyze paralysed:paralyzed paralyses:paralyzes
paralysing:paralyzing parcelled:parceled parcelling:parceling parlour:parlor parlours:parlors
particularise:particularize particularised:particularized particularises:particularizes
particularising:particularizing passivisation:passivization passivise:passivize
passivised:passivized passivises:passivizes passivising:passivizing pasteurisation:pasteurization
pasteurise:pasteurize pasteurised:pasteurized pasteurises:pasteurizes pasteurising:pasteurizing
patronise:patronize patronised:patronized patronises:patronizes patronising:patronizing
patronisingly:patronizingly pedalled:pedaled pedalling:pedaling pedestrianisation:pedestrianization
pedestrianise:pedestrianize pedestrianised:pedestrianized pedestrianises:pedestrianizes
pedestrianising:pedestrianizing penalise:penalize penalised:penalized penalises:penalizes
penalising:penalizing pencilled:penciled pencilling:penciling personalise:personalize
personalised:personalized personalises:personalizes personalising:personalizing
pharmacopoeia:pharmacopeia pharmacopoeias:pharmacopeias philosophise:philosophize
philosophised:philosophized philosophises:philosophizes philosophising:philosophizing philtre:filter
philtres:filters phoney:phony plagiarise:plagiarize plagiarised:plagiarized plagiarises:plagiarizes
plagiarising:plagiarizing plough:plow ploughed:plowed ploughing:plowing ploughman:plowman
ploughmen:plowmen ploughs:plows ploughshare:plowshare ploughshares:plowshares
polarisation:polarization polarise:polarize polarised:polarized polarises:polarizes
polarising:polarizing politicisation:politicization politicise:politicize politicised:politicized
politicises:politicizes politicising:politicizing popularisation:popularization
popularise:popularize popularised:popularized popularises:popularizes popularising:popularizing
pouffe:pouf pouffes:poufs practise:practice practised:practiced practises:practices
practising:practicing praesidium:presidium praesidiums:presidiums pressurisation:pressurization
pressurise:pressurize pressurised:pressurized pressurises:pressurizes pressurising:pressurizing
pretence:pretense pretences:pretenses primaeval:primeval prioritisation:prioritization
prioritise:prioritize prioritised:prioritized prioritises:prioritizes prioritising:prioritizing
privatisation:privatization privatisations:privatizations privatise:privatize privatised:privatized
privatises:privatizes privatising:privatizing professionalisation:professionalization
professionalise:professionalize professionalised:professionalized professionalises:professionalizes
professionalising:professionalizing programme:program programmes:programs prologue:prolog
prologues:prologs propagandise:propagandize propagandised:propagandized propagandises:propagandizes
propagandising:propagandizing proselytise:proselytize proselytised:proselytized
proselytiser:proselytizer proselytisers:proselytizers proselytises:proselytizes
proselytising:proselytizing psychoanalyse:psychoanalyze psychoanalysed:psychoanalyzed
psychoanalyses:psychoanalyzes psychoanalysing:psychoanalyzing publicise:publicize
publicised:publicized publicises:publicizes publicising:publicizing pulverisation:pulverization
pulverise:pulverize pulverised:pulverized pulverises:pulverizes pulverising:pulverizing
pummelled:pummeled pummelling:pummeling pyjama:pajama pyjamas:pajamas pzazz:pizzazz
quarrelled:quarreled quarrelling:quarreling radicalise:radicalize radicalised:radicalized
radicalises:radicalizes radicalising:radicalizing rancour:rancor randomise:randomize
randomised:randomized randomises:randomizes randomising:randomizing rationalisation:rationalization
rationalisations:rationalizations rationalise:rationalize rationalised:rationalized
rationalises:rationalizes rationalising:rationalizing ravelled:raveled ravelling:raveling
realisable:realizable realisation:realization realisations:realizations realise:realize
realised:realized realises:realizes realising:realizing recognisable:recognizable
recognisably:recognizably recognisance:recognizance recognise:recognize recognised:recognized
recognises:recognizes recognising:recognizing reconnoitre:reconnoiter reconnoitred:reconnoitered
reconnoitres:reconnoiters reconnoitring:reconnoitering refuelled:refueled refuelling:refueling
regularisation:regularization regularise:regularize regularised:regularized regularises:regularizes
regularising:regularizing remodelled:remodeled remodelling:remodeling remould:remold
remoulded:remolded remoulding:remolding remoulds:remolds reorganisation:reorganization
reorganisations:reorganizations reorganise:reorganize reorganised:reorganized
reorganises:reorganizes reorganising:reorganizing revelled:reveled reveller:reveler
revellers:revelers revelling:reveling revitalise:revitalize revitalised:revitalized
revitalises:revitalizes revitalising:revitalizing revolutionise:revolutionize
revolutionised:revolutionized revolutionises:revolutionizes revolutionising:revolutionizing
rhapsodise:rhapsodize rhapsodised:rhapsodized rhapsodises:rhapsodizes rhapsodising:rhapsodizing
rigour:rigor rigours:rigors ritualised:ritualized rivalled:rivaled rivalling:rivaling
romanticise:romanticize romanticised:romanticized romanticises:romanticizes
romanticising:romanticizing rumour:rumor rumoured:rumored rumours:rumors sabre:saber sabres:sabers
saltpetre:saltpeter sanitise:sanitize sanitised:sanitized sanitises:sanitizes sanitising:sanitizing
satirise:satirize satirised:satirized satirises:satirizes satirising:satirizing saviour:savior
saviours:saviors savour:savor savoured:savored savouries:savories savouring:savoring savours:savors
savoury:savory scandalise:scandalize scandalised:scandalized scandalises:scandalizes
scandalising:scandalizing sceptic:skeptic sceptical:skeptical sceptically:skeptically
scepticism:skepticism sceptics:skeptics sceptre:scepter sceptres:scepters scrutinise:scrutinize
scrutinised:scrutinized scrutinises:scrutinizes scrutinising:scrutinizing
secularisation:secularization secularise:secularize secularised:secularized secularises:secularizes
secularising:secularizing sensationalise:sensationalize sensationalised:sensationalized
sensationalises:sensationalizes sensationalising:sensationalizing sensitise:sensitize
sensitised:sensitized sensitises:sensitizes sensitising:sensitizing sentimentalise:sentimentalize
sentimentalised:sentimentalized sentimentalises:sentimentalizes sentimentalising:sentimentalizing
sepulchre:sepulcher sepulchres:sepulchers serialisation:serialization serialisations:serializations
serialise:serialize serialised:serialized serialises:serializes serialising:serializing
sermonise:sermonize sermonised:sermonized sermonises:sermonizes sermonising:sermonizing sheikh:sheik
shovelled:shoveled shovelling:shoveling shrivelled:shriveled shrivelling:shriveling
signalise:signalize signalised:signalized signalises:signalizes signalising:signalizing
signalled:signaled signalling:signaling smoulder:smolder smouldered:smoldered smouldering:smoldering
smoulders:smolders snivelled:sniveled snivelling:sniveling snorkelled:snorkeled
snorkelling:snorkeling snowplough:snowplow snowploughs:snowplows socialisation:socialization
socialise:socialize socialised:socialized socialises:socializes socialising:socializing
sodomise:sodomize sodomised:sodomized sodomises:sodomizes sodomising:sodomizing solemnise:solemnize
solemnised:solemnized solemnises:solemnizes solemnising:solemnizing sombre:somber
specialisation:specialization specialisations:specializations specialise:specialize
specialised:specialized specialises:specializes specialising:specializing spectre:specter
spectres:specters spiralled:spiraled spiralling:spiraling splendour:splendor splendours:splendors
squirrelled:squirreled squirrelling:squirreling stabilisation:stabilization stabilise:stabilize
stabilised:stabilized stabiliser:stabilizer stabilisers:stabilizers stabilises:stabilizes
stabilising:stabilizing standardisation:standardization standardise:standardize
standardised:standardized standardises:standardizes standardising:standardizing stencilled:stenciled
stencilling:stenciling sterilisation:sterilization sterilisations:sterilizations sterilise:sterilize
sterilised:sterilized steriliser:sterilizer sterilisers:sterilizers sterilises:sterilizes
sterilising:sterilizing stigmatisation:stigmatization stigmatise:stigmatize stigmatised:stigmatized
stigmatises:stigmatizes stigmatising:stigmatizing storey:story storeys:stories
subsidisation:subsidization subsidise:subsidize subsidised:subsidized subsidiser:subsidizer
subsidisers:subsidizers subsidises:subsidizes subsidising:subsidizing succour:succor
succoured:succored succouring:succoring succours:succors sulphate:sulfate sulphates:sulfates
sulphide:sulfide sulphides:sulfides sulphur:sulfur sulphurous:sulfurous summarise:summarize
summarised:summarized summarises:summarizes summarising:summarizing swivelled:swiveled
swivelling:swiveling symbolise:symbolize symbolised:symbolized symbolises:symbolizes
symbolising:symbolizing sympathise:sympathize sympathised:sympathized sympathiser:sympathizer
sympathisers:sympathizers sympathises:sympathizes sympathising:sympathizing
synchronisation:synchronization synchronise:synchronize synchronised:synchronized
synchronises:synchronizes synchronising:synchronizing synthesise:synthesize synthesised:synthesized
synthesiser:synthesizer synthesisers:synthesizers synthesises:synthesizes synthesising:synthesizing
syphon:siphon syphoned:siphoned syphoning:siphoning syphons:siphons systematisation:systematization
systematise:systematize systematised:systematized systematises:systematizes
systematising:systematizing tantalise:tantalize tantalised:tantalized tantalises:tantalizes
tantalising:tantalizing tantalisingly:tantalizingly tasselled:tasseled technicolour:technicolor
temporise:temporize temporised:temporized temporises:temporizes temporising:temporizing
tenderise:tenderize tenderised:tenderized tenderises:tenderizes tenderising:tenderizing
terrorise:terrorize terrorised:terrorized terrorises:terrorizes terrorising:terrorizing
theatre:theater theatregoer:theatergoer theatregoers:theatergoers theatres:theaters
theorise:theorize theorised:theorized theorises:theorizes theorising:theorizing tonne:ton
tonnes:tons towelled:toweled towelling:toweling toxaemia:toxemia tranquillise:tranquilize
tranquillised:tranquilized tranquilliser:tranquilizer tranquillisers:tranquilizers
tranquillises:tranquilizes tranquillising:tranquilizing tranquillity:tranquility
tranquillize:tranquilize tranquillized:tranquilized tranquillizer:tranquilizer
tranquillizers:tranquilizers tranquillizes:tranquilizes tranquillizing:tranquilizing
tranquilly:tranquility transistorised:transistorized traumatise:traumatize traumatised:traumatized
traumatises:traumatizes traumatising:traumatizing travelled:traveled traveller:traveler
travellers:travelers travelling:traveling travelogue:travelog travelogues:travelogs trialled:trialed
trialling:trialing tricolour:tricolor tricolours:tricolors trivialise:trivialize
trivialised:trivialized trivialises:trivializes trivialising:trivializing tumour:tumor
tumours:tumors tunnelled:tunneled tunnelling:tunneling tyrannise:tyrannize tyrannised:tyrannized
tyrannises:tyrannizes tyrannising:tyrannizing tyre:tire tyres:tires unauthorised:unauthorized
uncivilised:uncivilized underutilised:underutilized unequalled:unequaled unfavourable:unfavorable
unfavourably:unfavorably unionisation:unionization unionise:unionize unionised:unionized
unionises:unionizes unionising:unionizing unorganised:unorganized unravelled:unraveled
unravelling:unraveling unrecognisable:unrecognizable unrecognised:unrecognized unrivalled:unrivaled
unsavoury:unsavory untrammelled:untrammeled urbanisation:urbanization urbanise:urbanize
urbanised:urbanized urbanises:urbanizes urbanising:urbanizing utilisable:utilizable
utilisation:utilization utilise:utilize utilised:utilized utilises:utilizes utilising:utilizing
valour:valor vandalise:vandalize vandalised:vandalized vandalises:vandalizes vandalising:vandalizing
vaporisation:vaporization vaporise:vaporize vaporised:vaporized vaporises:vaporizes
vaporising:vaporizing vapour:vapor vapours:vapors verbalise:verbalize verbalised:verbalized
verbalises:verbalizes verbalising:verbalizing victimisation:victimization victimise:victimize
victimised:victimized victimises:victimizes victimising:victimizing videodisc:videodisk
videodiscs:videodisks vigour:vigor visualisation:visualization visualisations:visualizations
visualise:visualize visualised:visualized visualises:visualizes visualising:visualizing
vocalisation:vocalization vocalisations:vocalizations vocalise:vocalize vocalised:vocalized
vocalises:vocalizes vocalising:vocalizing vulcanised:vulcanized vulgarisation:vulgarization
vulgarise:vulgarize vulgarised:vulgarized vulgarises:vulgarizes vulgarising:vulgarizing waggon:wagon
waggons:wagons watercolour:watercolor watercolours:watercolors weaselled:weaseled
weaselling:weaseling westernisation:westernization westernise:westernize westernised:westernized
westernises:westernizes westernising:westernizing womanise:womanize womanised:womanized
womaniser:womanizer womanisers:womanizers womanises:womanizes womanising:womanizing woollen:woolen
woollens:woolens woollies:woolies woolly:wooly worshipped:worshiped worshipper:worshiper
worshipping:worshiping yodelled:yodeled yodelling:yodeling yoghourt:yogurt yoghourts:yogurts
yoghurt:yogurt yoghurts:yogurts
""".split())
