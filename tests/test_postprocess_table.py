"""The post-processing rules as a table: one line per case, `input  =>  expected output`.

Default options throughout (fillers in brackets, every rule on). `<empty>` stands for the empty
string, `<spaces>` for a string of blanks.
"""

import pytest

from sapsoup.postprocess import postprocess

SPECIFICATION = """
# Cardinals, signs, decimals
25                                    =>  twenty five
0                                     =>  zero
105 people                            =>  one hundred and five people
1,000                                 =>  one thousand
1,234,567                             =>  one million two hundred thirty four thousand five hundred and sixty seven
5000000                               =>  five zero zero zero zero zero zero
5,000,000                             =>  five million
3005                                  =>  three thousand and five
911                                   =>  nine hundred and eleven
-5 degrees                            =>  minus five degrees
−12                                   =>  −12
2.5                                   =>  two point five
0.75                                  =>  zero point seven five
.5                                    =>  point five
1,234.56                              =>  one thousand two hundred and thirty four point five six
I have 3 kids.                        =>  I have three kids.
It is 5, not 6                        =>  It is five, not six
No. 5.                                =>  No. five.
my #1 fan                             =>  my hash one fan

# Ordinals
3rd                                   =>  third
the 21st century                      =>  the twenty first century
1st and 2nd                           =>  first and second
100th                                 =>  one hundredth
the 5th-grade class                   =>  the five th grade class

# Years and decades
I was born in 1998                    =>  I was born in nineteen ninety eight
2005                                  =>  two thousand five
2024                                  =>  twenty twenty four
1900                                  =>  nineteen hundred
1905                                  =>  nineteen oh five
2000                                  =>  two thousand
the 1990s                             =>  the nineteen nineties
the '90s                              =>  the nineties
1,998                                 =>  one thousand nine hundred and ninety eight
1234                                  =>  twelve thirty four
2100                                  =>  twenty one hundred

# Percentages and degrees
50%                                   =>  fifty percent
2.5 %                                 =>  two point five percent
5-10%                                 =>  five to ten percent
-3.5°C                                =>  minus three point five degrees celsius
1°                                    =>  one degree

# Currency
$5                                    =>  five dollars
$1                                    =>  one dollar
$3.50                                 =>  three dollars fifty cents
$0.99                                 =>  ninety nine cents
$.50                                  =>  fifty cents
$1.01                                 =>  one dollar one cent
$5.00                                 =>  five dollars
$1,500                                =>  one thousand five hundred dollars
$2.5 million                          =>  two point five million dollars
$5k                                   =>  dollar five k
$5M                                   =>  five million dollars
$745 million                          =>  seven hundred forty five million dollars
$1.5B                                 =>  one point five billion dollars
$5-10                                 =>  dollar five ten
-$5                                   =>  minus five dollars
£3                                    =>  three pounds
€2.20                                 =>  two euros twenty cents

# Times
3:30                                  =>  three thirty
3:05                                  =>  three o five
3:00                                  =>  three o'clock
14:00                                 =>  fourteen o'clock
10 am                                 =>  ten am
10am                                  =>  ten am
10 a.m.                               =>  ten am
10 AM                                 =>  ten ~A ~M
7PM                                   =>  seven ~P ~M
at 5 p.m. today                       =>  at five pm today
10:30pm                               =>  ten thirty pm
13 pm                                 =>  thirteen pm

# Ranges, fractions, digit strings
5-10                                  =>  five ten
1990-1995                             =>  nineteen ninety to nineteen ninety five
3/4                                   =>  three quarters
1/2 cup                               =>  one half cup
24/7                                  =>  twenty four sevenths
555-1234                              =>  five hundred and fifty five twelve thirty four
555-123-4567                          =>  five five five one two three four five six seven
(555) 123-4567                        =>  five five five one two three four five six seven
1-800-555-0199                        =>  one eight hundred five five five zero one nine nine
007                                   =>  zero zero seven
1234567                               =>  one two three four five six seven

# Numbers glued to words
5pm                                   =>  five pm
covid19                               =>  covid nineteen
covid-19                              =>  covid nineteen
mp3 player                            =>  mp three player
B12                                   =>  B twelve
4x4                                   =>  four x four
5k run                                =>  five k run
a 5-year-old                          =>  a five year old

# Dates, odd forms as NeMo reads them, and what stays as written
12/25/2020                            =>  December twenty fifth twenty twenty
2024-01-15                            =>  January fifteenth twenty twenty four
May 5                                 =>  May fifth
5 May 2021                            =>  the fifth of May twenty twenty one
1 1/2 cups                            =>  one and a half cups
2:15:30                               =>  two hours fifteen minutes and thirty seconds
1,23                                  =>  one twenty three
3:1                                   =>  three one
5¢                                    =>  5¢
$-                                    =>  $-
1234567890123456789012345678901       =>  1234567890123456789012345678901

# Spelled letters
A-B-C                                 =>  ~A ~B ~C
s-m-i-t-h                             =>  ~S ~M ~I ~T ~H
a.b.c.                                =>  ~A ~B ~C
the U.S.A. team                       =>  the ~U ~S ~A. team
watch T V                             =>  watch ~T ~V
e.g. this                             =>  for example this
Dr. Smith vs. Mr. Jones               =>  doctor Smith versus mister Jones
St. Louis and Main St.                =>  Saint Louis and Main St.
it was 5 km                           =>  it was five kilometers
a PhD on TV's show                    =>  a ~P ~H ~D on TV's show
~T ~V                                 =>  ~T ~V
T-shirt                               =>  T shirt
Plan B I think                        =>  Plan B I think
a b c                                 =>  a b c

# Words glued by punctuation
well-known                            =>  well known
and/or                                =>  and or
don’t                                 =>  don't
AT&T                                  =>  AT T
yes—no                                =>  yes no
mail me at jo.doe@mail.com            =>  mail me at jo dot doe at mail dot com
rock'n'roll                           =>  rock'n'roll

# Fillers (brackets, the paper's style)
Um, I think so                        =>  [Um], I think so
I uh want it                          =>  I [uh] want it
er, erm, ah                           =>  [er], [erm], [ah]
hmm mm mhm                            =>  [hmm] [mm] [mhm]
ummm uhh                              =>  [ummm] [uhh]
mm-hmm                                =>  [mm] [hmm]
[um] and (uh)                         =>  [um] and (uh)
uh-huh                                =>  uh huh
uh oh                                 =>  uh oh
umbrella humming                      =>  umbrella humming

# Everything at once, and input with nothing to do
Um, the T-V cost $25 in 1998          =>  [Um], the ~T ~V cost twenty five dollars in nineteen ninety eight
Hello world.                          =>  Hello world.
<empty>                               =>  <empty>
<spaces>                              =>  <empty>
😀 12 😀                              =>  😀 twelve 😀
too   many    spaces                  =>  too many spaces
"""


def _cases():
    for line in SPECIFICATION.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        given, expected = (side.strip() for side in line.split("=>"))
        given = {"<empty>": "", "<spaces>": "   "}.get(given, given)
        expected = {"<empty>": ""}.get(expected, expected)
        yield pytest.param(given, expected, id=given or "<empty>")


CASES = list(_cases())


def test_the_specification_has_at_least_80_cases():
    assert len(CASES) >= 80


@pytest.mark.parametrize("given, expected", CASES)
def test_postprocess_rewrites_as_specified(given, expected):
    assert postprocess(given) == expected
