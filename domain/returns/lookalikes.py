"""What a reader sees in a relayed text, for the contact matchers: invisible characters gone and
look-alike characters read as what they imitate.

Two steps, for two purposes:

- `without_format_characters` changes the text the other side gets. Format characters
  (Unicode category Cf: zero-width spaces and joiners, word joiner, byte order mark, soft
  hyphen, direction marks, embeddings, overrides and isolates, invisible tags) have no
  business in a thread message. They split an address so a matcher misses it while the reader
  sees it whole ("alex\u200b@\u200bgmail.com"), or turn the text around ("I agree to
  \u202e05.4$\u202c" shows as "I agree to $4.50"). They are dropped, except where they only
  shape the characters around them and cannot hide anything in an address, a handle or a
  number (which are ASCII): a joiner inside an emoji sequence (👩‍💻, 🏳️‍🌈), a joiner or
  non-joiner between two letters of a script that uses them (Persian, Hindi), and the tag
  characters of a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
- `matching_view` does not change what is shown: it is a second copy of the text, read by the
  matchers, in which each character is folded to what a reader takes it for, with the position
  of the shown character it came from, so what the matchers find is masked in the shown text.
  Compatibility forms are folded (NFKC, one character at a time: fullwidth "ｔ．ｍｅ／ａｌｅｘ"
  and "＠", mathematical letters "𝐚𝐥𝐞𝐱"); an ideographic, halfwidth or other look-alike full
  stop (。 ｡ · ・) counts as a dot, and a look-alike slash as a slash, only between two ASCII
  letters or digits, where it joins the parts of a domain or an address (Chinese prose ends
  its sentences with 。 after Chinese characters, and those stay as they are); blank letters
  (Hangul fillers, the braille blank) are spaces; combining marks and variation selectors on an
  ASCII character are left out ("t̲.̲m̲e̲"); in a word that mixes Latin letters with Cyrillic or
  Greek ones, the Cyrillic and Greek letters that look Latin are read as Latin ("gmаil" with a
  Cyrillic "а"). A word wholly in Cyrillic or Greek is left alone, so Russian text (and the
  spelled-out "собака" / "точка") reads as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ZWJ = "\u200d"
ZWNJ = "\u200c"
_BLACK_FLAG = "\U0001f3f4"
_VARIATION_SELECTOR_16 = "\ufe0f"
# Letters and symbols that draw nothing (typed_text refuses them in names).
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Read as a dot, or a slash, between two ASCII letters or digits. NFKC already turns the
# fullwidth "．" and "／", the small "﹒" and the one-dot leader "․" into ASCII.
_DOT_LOOKALIKES = frozenset("\u3002\u00b7\u2022\u2219\u22c5\u30fb\uff65\u2027")
_SLASH_LOOKALIKES = frozenset("\u2215\u2044\u29f8\u29f5")
# Cyrillic and Greek letters drawn like Latin ones, read as Latin in a word that mixes scripts.
_LATIN_LOOKALIKES = str.maketrans(
    "аеіјорсхуѕԁԛԝһӏүАВЕІЈКМНОРСТХУЅ"  # Cyrillic
    "αικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
    "ɡı",  # Latin letters that look like other Latin letters
    "aeijopcxysdqwhlyABEIJKMHOPCTXYSaikvoptuxABEZHIKMNOPTYXgi",
)
_MARKS = frozenset({"Mn", "Me"})
_WORD = re.compile(r"\S+")
_HAS_LATIN = re.compile(r"[A-Za-z]")


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def _is_pictographic(ch: str) -> bool:
    """Part of an emoji: a pictograph, a skin tone, or the emoji presentation selector."""
    if ch == _VARIATION_SELECTOR_16 or "\U0001f000" <= ch <= "\U0001faff":
        return True
    return unicodedata.category(ch) in {"So", "Sk"} and not ch.isascii()


def _is_shaped_letter(ch: str) -> bool:
    return not ch.isascii() and unicodedata.category(ch)[0] in {"L", "M"}


def _in_flag(text: str, index: int) -> bool:
    """Whether the tag character at `index` follows a black flag, maybe after other tags."""
    while index > 0 and _is_tag(text[index - 1]):
        index -= 1
    return index > 0 and text[index - 1] == _BLACK_FLAG


def _kept(text: str, index: int) -> bool:
    ch = text[index]
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if ch == ZWJ and before and after and _is_pictographic(before) and _is_pictographic(after):
        return True
    if ch in (ZWJ, ZWNJ):
        return bool(before and after) and _is_shaped_letter(before) and _is_shaped_letter(after)
    return _is_tag(ch) and _in_flag(text, index)


def without_format_characters(text: str) -> str:
    """`text` without its format characters, but for those that only shape emoji or letters."""
    if text.isascii():
        return text
    return "".join(
        ch for i, ch in enumerate(text) if unicodedata.category(ch) != "Cf" or _kept(text, i)
    )


@dataclass(frozen=True, slots=True)
class MatchingView:
    """The text as the matchers read it, and where each of its characters came from."""

    text: str
    # For each character of `text`, the index of the shown character it was read from; one
    # more entry, the shown text's length, for a match that runs to the end.
    origin: tuple[int, ...]

    def shown_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the shown text that the view's `start:end` was read from."""
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


def _folded(ch: str, previous: str) -> str:
    if ch.isascii():
        return ch
    if ch in _BLANK_LOOKALIKES:
        return " "
    if unicodedata.category(ch) in _MARKS and previous.isascii() and not previous.isspace():
        return ""  # a mark or variation selector on an ASCII character ("t̲", "a︀")
    return unicodedata.normalize("NFKC", ch)


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def matching_view(text: str) -> MatchingView:
    """`text` (already without format characters) as a reader takes it: see the module."""
    if text.isascii():
        return MatchingView(text, (*range(len(text)), len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        for piece in _folded(ch, chars[-1] if chars else " "):
            chars.append(piece)
            origin.append(index)
    for at, ch in enumerate(chars):
        if ch in _DOT_LOOKALIKES or ch in _SLASH_LOOKALIKES:
            between = 0 < at < len(chars) - 1
            if between and _ascii_alnum(chars[at - 1]) and _ascii_alnum(chars[at + 1]):
                chars[at] = "." if ch in _DOT_LOOKALIKES else "/"
    folded = "".join(chars)
    return MatchingView(_latin_in_mixed_words(folded), (*origin, len(text)))


def _latin_in_mixed_words(text: str) -> str:
    """Cyrillic and Greek look-alikes read as Latin, in the words that also have Latin letters;
    one character for one, so positions do not move."""

    def fold(word: re.Match[str]) -> str:
        if word[0].isascii() or not _HAS_LATIN.search(word[0]):
            return word[0]
        return word[0].translate(_LATIN_LOOKALIKES)

    return _WORD.sub(fold, text)
