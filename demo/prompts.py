"""Text material of the synthetic corpus: what speakers are shown, and what their transcripts say.

SAP records three kinds of speech, and so does this corpus: short digital-assistant commands, read
sentences, and spontaneous answers to an open question. A prompt shows text as a person would read
it (digits, abbreviations); the transcript writes what was said, following SAP's transcription
conventions: numbers as words, spelled letters as `~T ~V`, and disfluencies (repeated words,
fillers) in parentheses, which the organisers' second reference removes.

The material below is written in a small markup so one line holds both sides:
`{shown|said}` shows `shown` in the prompt and writes `said` in the transcript (e.g. `{TV|~T ~V}`),
and `{#lo-hi}` draws a whole number, shown as digits and said as words. Everything else is the same
on both sides. All sentences are original to this project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import inflect
import numpy as np

from sapsoup.errors import SapsoupError

CATEGORY_COMMANDS = "Digital Assistant Commands"
CATEGORY_READ = "Novel Sentences"
CATEGORY_SPONTANEOUS = "Spontaneous Speech Prompts"
CATEGORIES = (CATEGORY_COMMANDS, CATEGORY_READ, CATEGORY_SPONTANEOUS)


class PromptError(SapsoupError):
    """A line of prompt material does not follow the markup."""


@dataclass(frozen=True)
class Prompt:
    """One recording prompt, with its answer already realised.

    `sentences` holds, per sentence, (transcript token, spoken text) pairs: the transcript token is
    what SAP's transcript writes (`~T`, `fifteen`), the spoken text what the synthesizer must say
    for it (`T`, `fifteen`). Commands and read text have one sentence; spontaneous answers several,
    of which a recording may use only the first few.
    """

    category: str
    sub_category: str
    prompt_text: str
    sentences: tuple[tuple[tuple[str, str], ...], ...]


# ----------------------------------------------------------------------------------------------
# The markup

_MARK = re.compile(r"\{([^{}]*)\}")
_NUMBER_SLOT = re.compile(r"#(\d+)-(\d+)")
_engine = inflect.engine()


def number_words(number: int) -> str:
    """A whole number as the words a speaker says: 42 -> "forty-two", 105 -> "one hundred and five".

    With "and", as NeMo reads a written number and so as the organisers' references and the archive's
    post-processing spell one: the transcript of a number said this way and its reference agree.
    """
    return _engine.number_to_words(number, andword="and")


def spoken_form(token: str) -> str:
    """What the synthesizer says for one transcript token.

    A spelled letter `~T` is the bare letter, which eSpeak names; the letter A is written "eh"
    because eSpeak reads a lone "A" inside a sentence as the article.
    """
    if token.startswith("~"):
        letter = token[1:]
        trailing = ""
        while letter and not letter[-1].isalnum():
            letter, trailing = letter[:-1], letter[-1] + trailing
        return ("eh" if letter.upper() == "A" else letter.upper()) + trailing
    return token


def realize(template: str, rng: np.random.Generator) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Expand one line of markup into (shown text, ((transcript token, spoken text), ...))."""
    shown_parts, said_parts, position = [], [], 0
    for match in _MARK.finditer(template):
        plain = template[position:match.start()]
        shown_parts.append(plain)
        said_parts.append(plain)
        body = match.group(1)
        slot = _NUMBER_SLOT.fullmatch(body)
        if slot:
            low, high = int(slot.group(1)), int(slot.group(2))
            if low > high:
                raise PromptError(f"prompt material: empty number range {{{body}}} in {template!r}")
            number = int(rng.integers(low, high + 1))
            shown_parts.append(str(number))
            said_parts.append(number_words(number))
        elif body.count("|") == 1:
            shown, said = body.split("|")
            shown_parts.append(shown)
            said_parts.append(said)
        else:
            raise PromptError(f"prompt material: cannot read {{{body}}} in {template!r}")
        position = match.end()
    if "{" in template[position:] or "}" in template[position:]:
        raise PromptError(f"prompt material: unbalanced braces in {template!r}")
    shown_parts.append(template[position:])
    said_parts.append(template[position:])
    shown = " ".join("".join(shown_parts).split())
    tokens = "".join(said_parts).split()
    if not tokens:
        raise PromptError(f"prompt material: nothing to say in {template!r}")
    return shown, tuple((token, spoken_form(token)) for token in tokens)


def fluent_transcript(transcript: str) -> str:
    """The transcript without its parenthesised disfluencies: SAP's second reference, uncleaned."""
    return " ".join(re.sub(r"\([^()]*\)", " ", transcript).split())


def spoken_text(sentences) -> str:
    """What a fluent speaker says for these sentences: the text to synthesise a clean version."""
    return " ".join(spoken for sentence in sentences for _, spoken in sentence)


# ----------------------------------------------------------------------------------------------
# The material

COMMANDS = {
    "Timers and Alarms": [
        "Set a timer for {#2-55} minutes.",
        "Wake me up at {7:30|seven thirty} tomorrow morning.",
        "Set an alarm for {6:15|six fifteen} on weekdays.",
        "Cancel the alarm for {9 AM|nine ~A ~M}.",
        "How much time is left on my timer?",
        "Remind me to take my pills in {#2-12} hours.",
        "Snooze for {#5-15} more minutes.",
    ],
    "Smart Home": [
        "Turn on the {TV|~T ~V} in the living room.",
        "Dim the kitchen lights to {#10-90} percent.",
        "Set the thermostat to {#64-76} degrees.",
        "Lock the front door.",
        "Turn off all the lights downstairs.",
        "Is the garage door open?",
        "Start the robot vacuum in the bedroom.",
    ],
    "Media": [
        "Play some quiet piano music.",
        "Skip to the next song.",
        "Turn the volume down to {#2-9}.",
        "Play the latest episode of my favorite podcast.",
        "Pause the movie for a minute.",
        "Play the {BBC|~B ~B ~C} world news.",
        "Read me chapter {#2-30} of my audiobook.",
    ],
    "Communication": [
        "Call my daughter on her cell phone.",
        "Send a text to Maria saying I will be late.",
        "Read my new messages.",
        "Call Doctor Patel's office.",
        "Tell James I'm on my way home.",
        "Email my brother the photos from Sunday.",
    ],
    "Information": [
        "What's the weather like this afternoon?",
        "How far is it to the nearest pharmacy?",
        "What time does the grocery store close today?",
        "Who won the baseball game last night?",
        "What's on my calendar for Friday?",
        "How many ounces are in {#2-5} cups?",
        "Spell the word {rhythm|~R ~H ~Y ~T ~H ~M}.",
    ],
    "Shopping and Lists": [
        "Add milk and eggs to my shopping list.",
        "Order more paper towels.",
        "What's on my shopping list?",
        "Remove bread from the grocery list.",
        "Reorder my usual coffee.",
        "Add {#2-12} cans of soup to my cart.",
    ],
}

READ_SENTENCES = {
    "Everyday Life": [
        "The bus was so crowded that I decided to walk home instead.",
        "My neighbor waters her tomato plants every evening after dinner.",
        "We ran out of sugar, so the cookies tasted a little strange.",
        "The library closes early on the first Monday of every month.",
        "He left his umbrella on the train for the third time this year.",
        "Please put the clean towels in the closet at the end of the hall.",
        "She keeps a list of birthdays taped to the refrigerator door.",
        "The coffee shop on the corner now opens at {6|six} in the morning.",
        "I paid {$12|twelve dollars} for a sandwich at the airport.",
    ],
    "Nature and Weather": [
        "A cold wind blew across the lake and rattled the windows.",
        "The first snow of the season melted before noon.",
        "Three deer stood quietly at the edge of the meadow.",
        "Thunder rolled over the hills long after the rain had stopped.",
        "The old oak tree in the park is more than {200|two hundred} years old.",
        "Bright orange leaves covered the path to the river.",
        "The tide came in quickly and washed away our sandcastle.",
        "Fog settled over the valley just as the sun went down.",
    ],
    "People and Places": [
        "My grandfather fixed radios in a small shop near the harbor.",
        "The museum's newest exhibit shows tools from ancient farms.",
        "Our team practiced for weeks before the final match.",
        "The bakery sells out of rye bread before lunch on Saturdays.",
        "The flight to Denver was delayed by almost {#2-5} hours.",
        "They moved to a quiet town in the mountains after retiring.",
        "The teacher read the class a story about a brave little fox.",
        "The city planted new trees along both sides of Main Street.",
        "My cousin works for the {FBI|~F ~B ~I} in Washington.",
    ],
    "Health and Daily Care": [
        "Drinking enough water helps me feel less tired in the afternoon.",
        "The nurse checked my blood pressure twice before the appointment.",
        "I try to stretch for ten minutes every morning.",
        "The pharmacy will call when the prescription is ready.",
        "A short walk after meals is good for your heart.",
        "He keeps his glasses on a cord so he won't lose them.",
        "My physical therapist showed me a new exercise for my shoulder.",
        "Room {#101-420} is at the end of the second hallway.",
    ],
}

# Each topic: the question shown to the speaker, then an answer of many sentences. Long
# recordings keep adding sentences (moving on to the next topic if one runs out) until they
# reach the wanted length.
SPONTANEOUS = {
    "Daily Routine": (
        "Describe what a typical morning looks like for you.",
        [
            "Well, I usually wake up a little before seven.",
            "The first thing I do is make a pot of coffee.",
            "While it brews I feed the cat, because she won't leave me alone until I do.",
            "Then I sit by the window and read the news on my tablet.",
            "After breakfast I take my medicine and check my calendar.",
            "On most days I have a therapy session or a doctor's appointment.",
            "If the weather is nice I walk around the block with my wife.",
            "We stop and talk to the neighbors if they are outside.",
            "By ten o'clock I try to get some work done on the computer.",
            "I answer emails and pay a few bills.",
            "Around noon I start thinking about what to make for lunch.",
            "It's a quiet routine, but I like it that way.",
        ],
    ),
    "Hobbies": (
        "Tell me about a hobby you enjoy and how you got started.",
        [
            "I have been gardening for most of my life.",
            "My mother grew vegetables behind our house when I was a kid.",
            "She let me plant a row of carrots when I was about six.",
            "I remember pulling them up every day to see if they had grown.",
            "These days I grow tomatoes, peppers, beans and a lot of herbs.",
            "I built raised beds a few years ago so I don't have to bend down as much.",
            "In the spring I start the seeds indoors under a lamp.",
            "The hardest part is keeping the rabbits away from the lettuce.",
            "I tried a fence, but they still find a way in.",
            "In the summer we have more tomatoes than we can eat.",
            "So I give bags of them to friends and neighbors.",
            "Gardening keeps me moving and it makes me patient.",
        ],
    ),
    "A Trip": (
        "Talk about a trip you remember well.",
        [
            "A few years ago we drove to the coast for a long weekend.",
            "It took about {6|six} hours, and the kids argued most of the way.",
            "We stayed in a small cottage just a short walk from the beach.",
            "The first morning it was foggy and cold, so we stayed inside and played cards.",
            "In the afternoon the sun came out and we went looking for shells.",
            "My son found a crab and chased his sister with it.",
            "We ate fried fish at a little place on the pier.",
            "The owner told us stories about storms and shipwrecks.",
            "On the last day we watched the sunset from the rocks.",
            "Nobody said anything for a long time.",
            "On the drive home everybody was tired and quiet.",
            "We still talk about that weekend all the time.",
        ],
    ),
    "Cooking": (
        "Explain how you make one of your favorite meals.",
        [
            "One of my favorite things to make is vegetable soup.",
            "First I chop an onion, two carrots and a couple of celery stalks.",
            "I cook them slowly in olive oil until they are soft.",
            "Then I add garlic, and the whole kitchen starts to smell wonderful.",
            "Next come the potatoes, a can of tomatoes and some broth.",
            "I let it simmer for about half an hour.",
            "Near the end I throw in green beans and a handful of spinach.",
            "Salt, pepper and a little lemon juice finish it off.",
            "My grandmother always added a spoonful of pesto on top.",
            "I serve it with warm bread and a piece of cheese.",
            "It tastes even better the next day.",
            "I usually freeze half of it for busy weeks.",
        ],
    ),
    "Technology": (
        "How do you use technology in your daily life?",
        [
            "I use my phone for almost everything these days.",
            "I talk to the voice assistant to set reminders and make calls.",
            "Typing on a small screen is hard for me, so speaking is much easier.",
            "Sometimes it doesn't understand me, and I have to repeat myself.",
            "That can be really frustrating when I'm in a hurry.",
            "I also use a tablet to video chat with my grandchildren.",
            "They show me their drawings and tell me about school.",
            "My son set up smart lights in the house last year.",
            "Now I can turn them off from bed without getting up.",
            "I would like it if these devices worked better for people like me.",
            "Maybe one day they will understand everybody the same way.",
            "Until then I keep practicing and I stay patient.",
        ],
    ),
    "Family": (
        "Tell me about someone in your family.",
        [
            "I want to talk about my older sister.",
            "She is three years older than me and she has always looked out for me.",
            "When we were young we shared a bedroom with bunk beds.",
            "She always took the top bunk and I never forgave her for it.",
            "She became a nurse and worked at the same hospital for thirty years.",
            "She has two boys who are both grown up now.",
            "One of them lives in Chicago and the other one lives nearby.",
            "Every Sunday she calls me to check how I'm doing.",
            "When I got sick she drove me to every appointment.",
            "She's funny, stubborn and very generous.",
            "We still argue about silly things, just like when we were kids.",
            "I don't know what I would do without her.",
        ],
    ),
}


# ----------------------------------------------------------------------------------------------
# Drawing prompts


def _pool(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(sub, line) for sub, lines in table.items() for line in lines]


def draw_prompts(category: str, count: int, rng: np.random.Generator) -> list[Prompt]:
    """`count` different prompts of one category (without repeats while the material lasts)."""
    if category == CATEGORY_SPONTANEOUS:
        topics = list(SPONTANEOUS)
        order = rng.permutation(len(topics))
        return [_spontaneous(topics[order[i % len(topics)]], rng) for i in range(count)]
    if category == CATEGORY_COMMANDS:
        pool = _pool(COMMANDS)
    elif category == CATEGORY_READ:
        pool = _pool(READ_SENTENCES)
    else:
        raise PromptError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
    order = rng.permutation(len(pool))
    prompts = []
    for i in range(count):
        sub_category, template = pool[order[i % len(pool)]]
        shown, tokens = realize(template, rng)
        prompts.append(Prompt(category, sub_category, shown, (tokens,)))
    return prompts


def _spontaneous(topic: str, rng: np.random.Generator) -> Prompt:
    """A topic's question and its answer, followed by the other topics' answers as spare material."""
    question, _ = SPONTANEOUS[topic]
    topics = list(SPONTANEOUS)
    start = topics.index(topic)
    sentences = []
    for offset in range(len(topics)):
        _, answer = SPONTANEOUS[topics[(start + offset) % len(topics)]]
        sentences.extend(realize(line, rng)[1] for line in answer)
    return Prompt(CATEGORY_SPONTANEOUS, topic, question, tuple(sentences))
