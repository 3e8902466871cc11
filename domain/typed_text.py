"""Text people type into the bot (names, addresses, reasons): what we accept and how we keep it.

People type emoji built with zero-width joiners and variation selectors ("👩‍💻 Shop ❤️"),
Persian with zero-width non-joiners, and Arabic or Hebrew with directional marks (LRM, RLM,
ALM) that keep numbers and Latin words in place. All of that is accepted as typed.

Refused: characters that change how the *surrounding* text is displayed (bidi embeddings,
overrides and isolates, U+202A–U+202E and U+2066–U+2069: "‮gpj.exe" shows as "exe.jpg"),
other control and format characters, private-use and unassigned code points, the blank
"filler" letters used to fake empty names, long stacks of combining marks ("Zalgo" text), and
text with too few visible characters (only joiners, marks and spaces looks empty).

One rule for every place that takes such text, so a name accepted in one form is accepted in
every other.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from domain.errors import InvalidInput

# Key of the message that explains a refused hidden character (the caller's own key explains
# the length rule, which is what most people get wrong).
HIDDEN_CHARACTERS_KEY = "errors.hidden_characters"

ZERO_WIDTH_NON_JOINER = "\u200c"
ZERO_WIDTH_JOINER = "\u200d"
# Format characters (category Cf) that belong to ordinary typed text.
_ALLOWED_FORMAT = frozenset(
    {
        ZERO_WIDTH_NON_JOINER,  # Persian, Hindi, ... word-internal shaping
        ZERO_WIDTH_JOINER,  # emoji sequences (👩‍💻), Indic conjuncts
        "\u200e",  # LEFT-TO-RIGHT MARK
        "\u200f",  # RIGHT-TO-LEFT MARK
        "\u061c",  # ARABIC LETTER MARK
    }
)
# Invisible characters that carry no meaning in one line of text: dropped, so "Ber\u200blin"
# and "Berlin" are one name.
_DROPPED = re.compile("[\u00ad\u200b\u2060\ufeff]")
# Letters and symbols that draw nothing; typed only to make a name look empty or padded.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_BLACK_FLAG = "\U0001f3f4"  # starts the subdivision flags (🏴󠁧󠁢󠁳󠁣󠁴󠁿) written with tag characters
_TAG_CANCEL = "\U000e007f"
_MARK_CATEGORIES = frozenset({"Mn", "Me"})
# Vietnamese stacks two marks, Thai three, pointed Hebrew four or five; "Zalgo" stacks dozens.
MAX_MARKS_IN_A_ROW = 6
_BLANK_LOOKALIKE = re.compile(f"[{''.join(sorted(_BLANK_LOOKALIKES))}]")
# Combining marks are neither word nor space characters, so a long run of marks is always
# inside a long run of these; the exact (slower) check runs only when there is one.
_MAYBE_MARK_RUN = re.compile(rf"[^\w\s]{{{MAX_MARKS_IN_A_ROW + 1},}}")


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007e"


def _is_future_emoji(ch: str) -> bool:
    """Unassigned code points reserved for emoji (Unicode's Extended_Pictographic ranges).

    Python's Unicode database lags behind phones: an emoji newer than it (🩷, 🫨 on Python
    3.11) is "unassigned" here but is what the person typed.
    """
    return "\U0001f000" <= ch <= "\U0001faff" or "\U0001fc00" <= ch <= "\U0001fffd"


def _hidden_characters_refused(text: str) -> bool:
    """True when `text` holds a character we refuse; also enforces the marks limit."""
    marks_in_a_row = 0
    in_flag = False  # inside 🏴 + tag letters, which only CANCEL TAG may end
    previous = ""
    for ch in text:
        if in_flag or (previous == _BLACK_FLAG and _is_tag(ch)):
            if ch == _TAG_CANCEL:
                in_flag = False
            elif not _is_tag(ch):
                return True
            else:
                in_flag = True
            previous = ch
            continue
        previous = ch
        category = unicodedata.category(ch)
        if category in _MARK_CATEGORIES:
            marks_in_a_row += 1
            if marks_in_a_row > MAX_MARKS_IN_A_ROW:
                return True
            continue
        marks_in_a_row = 0
        if ch in _BLANK_LOOKALIKES:
            return True
        if category[0] != "C" or ch in _ALLOWED_FORMAT:
            continue
        if not (category == "Cn" and _is_future_emoji(ch)):
            return True  # Cc, Cf, Co, Cs, stray tags, unassigned outside the emoji blocks
    return in_flag  # a flag left open would swallow what follows


def _refused(text: str) -> bool:
    if text.isascii() and text.isprintable():
        return False  # letters, digits, punctuation and spaces: the common case, at C speed
    if (
        text.isprintable()  # no control, format, private-use or unassigned character
        and not _BLANK_LOOKALIKE.search(text)
        and not _MAYBE_MARK_RUN.search(text)
    ):
        return False
    return _hidden_characters_refused(text)


def _is_visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Mn", "Me"}


def visible_length(text: str) -> int:
    """How many characters of `text` draw something (joiners, marks and spaces do not)."""
    return sum(1 for ch in text if _is_visible(ch))


def _has_visible(text: str, minimum: int) -> bool:
    seen = 0
    for ch in text:
        if seen >= minimum:
            break
        seen += _is_visible(ch)
    return seen >= minimum


def clean_typed_line(
    raw: object,
    minimum: int,
    maximum: int,
    key: str,
    *,
    refuse_commands: bool = False,
    too_long_key: str | None = None,
    **params: Any,
) -> str:
    """One line of typed text as we keep it, or InvalidInput.

    NFC-normalised, with every run of whitespace (new lines included) made one space and the
    meaningless invisible characters dropped. At most `maximum` code points (what a database
    column counts) and at least `minimum` visible characters. `key` (with min/max and
    `params`) explains a refused length, unless `too_long_key` is given for a text over the
    maximum (for a `key` whose text speaks only of the minimum); `errors.hidden_characters` a
    refused character.
    """
    text = unicodedata.normalize("NFC", str(raw) if raw is not None else "")
    text = " ".join(_DROPPED.sub("", text).split())
    if _refused(text):
        raise InvalidInput(HIDDEN_CHARACTERS_KEY)
    if too_long_key is not None and len(text) > maximum:
        raise InvalidInput(too_long_key, min=minimum, max=maximum, length=len(text), **params)
    too_short = not text or not _has_visible(text, minimum)
    if too_short or len(text) > maximum or (refuse_commands and text.startswith("/")):
        raise InvalidInput(key, min=minimum, max=maximum, **params)
    return text


def _shown_as_is(ch: str) -> bool:
    category = unicodedata.category(ch)
    if ch in _BLANK_LOOKALIKES:
        return False
    if category[0] != "C" or ch in _ALLOWED_FORMAT:
        return True
    return category == "Cn" and _is_future_emoji(ch)


def displayable_name(raw: str | None, maximum: int, default: str) -> str:
    """A name we show but did not ask the person to type (a file's name): what the typed-text
    rule refuses is dropped instead, so "invoice\u202egpj.exe" cannot turn the rest of a
    message around, and the file is still accepted. `default` when nothing visible is left."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch for ch in _DROPPED.sub("", text) if ch.isspace() or _shown_as_is(ch))
    text = " ".join(text.split())[:maximum].rstrip()
    return text if _has_visible(text, 1) else default


def comparable_name(name: str) -> str:
    """The form in which two names count as the same: case, spacing and the invisible
    joiners and direction marks are ignored (they change nothing a reader can tell apart)."""
    folded = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    return " ".join(folded.casefold().split())
