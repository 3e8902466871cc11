"""Contact details taken out of what one side of a return case writes to the other.

The negotiation stays on the record only while it stays in the bot: phone numbers, e-mail
addresses, messenger handles and links, and payment links or account numbers are replaced by
`MASK`, and the caller is told which kinds it found so the relayed copy carries a note.

Phone numbers are found by `phonenumbers` (valid numbers only), in international form and in
the national forms of the regions given (the buyer's and the seller's countries). Anything the
case itself names — its order number, tracking numbers — is passed as `keep` and never masked,
so a nine-digit order number does not read as a Spanish mobile.

E-mail addresses are found as written and spelled out: "(at)", "[dot]" and the like always count;
"at" and "dot" between spaces only when the host and top-level domain are not everyday words
("worked at a dot com" stays). Russian "собака" and "точка" count as "at" and "dot"; the
address itself must be in Latin letters (an address under .рф is not looked for).

What is deliberately not masked: prices, dates, times, quantities, order and tracking numbers,
ordinary words after an "@" shorter than a Telegram username. Missing a cleverly spelled-out
number is accepted; masking a price is not (a masked price breaks the negotiation itself).

Invisible and look-alike characters do not hide a contact (`domain.returns.lookalikes`): the
text that comes back has no format characters left (zero-width spaces and joiners, direction
overrides and isolates, soft hyphens...), and the matchers read a copy of it in which
fullwidth, mathematical and other compatibility forms, look-alike dots and slashes between the
parts of a domain, and Latin-looking Cyrillic or Greek letters in a Latin word are read as
what they imitate. A value passed as `keep` is kept only when it is not a contact itself: an
order number "paypal.me/shop" is a payment link whatever the order is called.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from domain.returns.lookalikes import MatchingView, matching_view, without_format_characters

MASK = "[•••]"


class ContactKind(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    MESSENGER = "messenger"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class MaskedText:
    text: str
    found: tuple[ContactKind, ...]  # each kind once, in the order of ContactKind

    @property
    def masked(self) -> bool:
        return bool(self.found)


# "@" as written, with or without spaces around it ("alex @ example.com"), and "." as written;
# or either spelled out: "at"/"dot" (Russian "собака"/"точка") between spaces, or bracketed —
# "(at)", "[at]", "{at}", "<at>", "[@]", "(.)" — with or without spaces around.
_OPEN, _CLOSE = r"[\(\[\{<]", r"[\)\]\}>]"
_AT = rf"(?:\s*[@＠]\s*|\s*{_OPEN}\s*(?:at|собака|@|＠)\s*{_CLOSE}\s*|\s+(?:at|собака)\s+)"
_DOT = rf"(?:\.|\s*{_OPEN}\s*(?:dot|точка|\.)\s*{_CLOSE}\s*|\s+(?:dot|точка)\s+)"
_EMAIL = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9._%+-]*{_AT}(?P<host>[A-Za-z0-9-]+)(?:{_DOT}[A-Za-z0-9-]+)*"
    rf"{_DOT}(?P<tld>[A-Za-z]{{2,24}})\b",
    re.IGNORECASE,
)
# A real "@" or a bracketed spelling is written only to dodge a filter; "at" and "dot" between
# spaces are ordinary words, so that spelling needs more (`_spelled_plainly_as_address`).
_WRITTEN_AS_ADDRESS = re.compile(
    rf"@|＠|{_OPEN}\s*(?:at|dot|собака|точка|@|＠|\.)\s*{_CLOSE}", re.IGNORECASE
)
_SPELLED_EMAIL_HOSTS = re.compile(
    r"gmail|yahoo|hotmail|outlook|icloud|mail|yandex|qq|163|126|proton|gmx|orange|live|aol",
    re.IGNORECASE,
)
# What stands after "at" or "dot" in a sentence that is not an address: "worked at a dot com",
# "at the dot com bubble", "dot by dot", "dot to dot".
_NOT_A_HOST = frozenset(
    {"a", "an", "the", "this", "that", "my", "your", "our", "his", "her", "their", "its", "some"}
)
# Some of these are real country domains (.by, .it, .me, .to, .us): spelled out plainly, such an
# address is masked only at a known mail host ("kate at mail dot by").
_NOT_A_TLD = frozenset(
    {"by", "to", "in", "is", "it", "me", "my", "no", "so", "us", "be", "do", "go", "on"}
    | {"of", "or", "up", "as", "an", "at", "if", "we", "he", "and", "the", "for", "one"}
)

_PAYMENT_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:paypal\.me|paypal\.com/(?:paypalme|pools|donate|invoice|pay)|revolut\.me|"
    r"wise\.com/pay|buy\.stripe\.com|checkout\.stripe\.com|venmo\.com|cash\.app|"
    r"qr\.alipay\.com|render\.alipay\.com|pay\.weixin\.qq\.com|monzo\.me|"
    r"payoneer\.com/[^\s]*|ko-fi\.com|buymeacoffee\.com|boosty\.to|qiwi\.com/n|yoomoney\.ru/to)"
    r"(?:/[^\s<>\"']*)?"
    r"|(?:wxp|alipays?|weixin)://[^\s<>\"']+",
    re.IGNORECASE,
)
# Cash App's "$cashtag": a dollar sign followed by letters (a price has digits after it).
_CASHTAG = re.compile(r"(?<![\w$])\$[A-Za-z][A-Za-z0-9_]{2,19}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")

_MESSENGER_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:t\.me|telegram\.me|telegram\.dog|wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|"
    r"m\.me|messenger\.com|instagram\.com|vk\.com|vk\.me|line\.me|u\.wechat\.com|"
    r"weixin\.qq\.com|signal\.me|viber\.com|invite\.viber\.com|facebook\.com|fb\.com|"
    r"wechat\.com|kakao\.com|open\.kakao\.com|skype\.com|join\.skype\.com|tiktok\.com)"
    r"(?:/[^\s<>\"']*)?"
    r"|(?:tg|viber|whatsapp|skype|weixin)://[^\s<>\"']+",
    re.IGNORECASE,
)
# A Telegram-style @username: 5 to 32 characters, starting with a letter.
# Not after an ASCII word character, "@" or "." (an address's "@"): after Chinese or Cyrillic
# text with no space ("联系我@kate_returns") it is a handle all the same.
_HANDLE = re.compile(r"(?<![A-Za-z0-9_@.])@[A-Za-z][A-Za-z0-9_]{4,31}\b")
# "WeChat: kate_88", "微信 kate88", "WhatsApp - +34...", "line id: kate". Distinctive names take
# a handle after a colon or a handle-looking word (digits or _); short, ambiguous ones ("line",
# "tg", "qq", "wx") only with a colon or "id", so "line 2 of the order" stays as it is.
_DISTINCT_APPS = r"wechat|weixin|微信|whatsapp|viber|skype|telegram|телеграм|вайбер|kakaotalk|instagram|инстаграм"
_SHORT_APPS = r"line|tg|qq|wx|vx|ig|fb|signal|kakao"
_SEPARATOR = r"\s*(?:id|ID|Id|号)?\s*[:：=]\s*"
_HANDLE_WORD = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{2,39}"
_APP_ID = re.compile(
    rf"\b(?:{_DISTINCT_APPS}|{_SHORT_APPS})\b{_SEPARATOR}(?:is\s+)?{_HANDLE_WORD}"
    rf"|(?:{_DISTINCT_APPS})\s*(?:id\s*)?(?:is\s+)?(?=[A-Za-z0-9_.\-]*[0-9_])[A-Za-z0-9_][A-Za-z0-9_.\-]{{2,39}}"
    rf"|(?:微信|微信号|vx|VX|wx|WX)\s*[:：]?\s*{_HANDLE_WORD}",
    re.IGNORECASE,
)


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


def _email_spans(text: str) -> list[tuple[int, int]]:
    return [
        match.span()
        for match in _EMAIL.finditer(text)
        if _WRITTEN_AS_ADDRESS.search(match[0]) or _spelled_plainly_as_address(match)
    ]


def _spelled_plainly_as_address(match: re.Match[str]) -> bool:
    """Whether "name at host dot tld" is an address: a known mail host, or a host and a
    top-level domain that are not the everyday words found there in a sentence."""
    if _SPELLED_EMAIL_HOSTS.search(match.string, match.start("host"), match.end()):
        return True
    return match["host"].lower() not in _NOT_A_HOST and match["tld"].lower() not in _NOT_A_TLD


def _phone_spans(text: str, regions: Iterable[str | None]) -> list[tuple[int, int]]:
    wanted = dict.fromkeys([None, *regions])
    if list(wanted) == [None] and "+" not in text:
        return []  # without a region only the international form counts, and it starts so
    spans: set[tuple[int, int]] = set()
    for region in wanted:  # international forms, then each region's
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            spans.add((match.start, match.end))
    return sorted(spans)


def _kept_spans(view: str, keep: Iterable[str]) -> list[tuple[int, int]]:
    """Where the values to keep stand in the view; a value that is itself a contact (read
    without regions: a bare number is a number, a link or an address is one anywhere) is not
    kept, so naming an order "paypal.me/shop" does not let that link through."""
    spans: list[tuple[int, int]] = []
    for value in keep:
        if not value or len(value) < 3:
            continue
        folded = matching_view(without_format_characters(value)).text
        if _contact_spans(folded, ()):
            continue
        spans.extend(m.span() for m in re.finditer(re.escape(folded), view, re.IGNORECASE))
    return spans


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _contact_spans(
    view: str, regions: Iterable[str | None], kept: list[tuple[int, int]] | None = None
) -> list[tuple[int, int, ContactKind]]:
    """The contacts found in the matchers' view of a text, each span once, outside `kept`."""
    # Links first: a payment or messenger link may hold digits a phone matcher would also see.
    candidates: list[tuple[list[tuple[int, int]], ContactKind]] = [
        (_spans(_PAYMENT_LINK, view), ContactKind.PAYMENT),
        (_spans(_CASHTAG, view), ContactKind.PAYMENT),
        ([s for s in _spans(_IBAN, view) if _iban_valid(view[s[0] : s[1]])], ContactKind.PAYMENT),
        (_spans(_MESSENGER_LINK, view), ContactKind.MESSENGER),
        (_email_spans(view), ContactKind.EMAIL),
        (_spans(_APP_ID, view), ContactKind.MESSENGER),
        (_spans(_HANDLE, view), ContactKind.MESSENGER),
        (_phone_spans(view, regions), ContactKind.PHONE),
    ]
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, ContactKind]] = []
    for spans, kind in candidates:
        for span in spans:
            if _overlaps(span, taken) or _overlaps(span, kept or []):
                continue
            taken.append(span)
            found.append((span[0], span[1], kind))
    return found


def mask_contacts(
    text: str, *, regions: Iterable[str | None] = (), keep: Iterable[str] = ()
) -> MaskedText:
    """`text` with contact details replaced by `MASK`, and the kinds found. The text comes
    back without format characters, masked or not (`lookalikes.without_format_characters`)."""
    shown = without_format_characters(text)
    view: MatchingView = matching_view(shown)
    found = _contact_spans(view.text, regions, _kept_spans(view.text, keep))
    if not found:
        return MaskedText(shown, ())
    pieces: list[str] = []
    cursor = 0
    for start, end, _kind in sorted(found):
        shown_start, shown_end = view.shown_span(start, end)
        if shown_start < cursor:  # two matches read from one folded character
            shown_start = cursor
        pieces.append(shown[cursor:shown_start])
        pieces.append(MASK)
        cursor = max(cursor, shown_end)
    pieces.append(shown[cursor:])
    kinds = {kind for _s, _e, kind in found}
    return MaskedText("".join(pieces), tuple(kind for kind in ContactKind if kind in kinds))


# Digits in groups, as people write a phone number ("415-555-2671", "138 0013 8000",
# "(415) 555 2671"); `_phone_like` decides which such runs are one.
_DIGIT_GROUPS = re.compile(r"(?<!\d)\(?\d+(?:[\s().\-/+]{1,3}\d+)*")


def _phone_like(run: str) -> bool:
    """A phone number in some country's national form, read without knowing the country:
    seven digits or more in three groups or more, nine or more in two, or eleven or more in
    one run (a Chinese mobile). A shop's marketplace id ("Shop1102345678", ten digits in one
    run) and years ("1998-2024") are not."""
    groups = len(re.findall(r"\d+", run))
    digits = sum(ch.isdigit() for ch in run)
    return (digits >= 7 and groups >= 3) or (digits >= 9 and groups == 2) or digits >= 11


# A web address: a scheme or "www.", or a host ending in a top-level domain people register
# shops under. Not masked in messages ("I bought it on aliexpress.com"), but a name shown on
# every message to the other side is no place for one; the list keeps "Dr.Phone" and
# "St.Petersburg Goods" names.
_TLDS = (
    "com|net|org|info|biz|io|co|me|shop|store|online|site|top|xyz|app|dev|club|vip|link|live|"
    "life|world|page|website|tech|space|fun|icu|cc|tv|ly|gg|to|ai|asia|eu|us|uk|ca|au|ru|su|"
    "cn|hk|tw|jp|kr|sg|my|id|vn|th|in|tr|ua|kz|by|de|fr|es|it|pt|br|nl|pl|be|ch|at|se|mx|ar"
)
_WEB_ADDRESS = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"']+"
    rf"|\b[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})\b(?![.-]?\w)"
    rf"(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)


def _name_spans(view: str, *, digit_runs: bool) -> list[tuple[int, int]]:
    spans = [(start, end) for start, end, _kind in _contact_spans(view, ())]
    spans += _spans(_WEB_ADDRESS, view)
    if digit_runs:
        spans += [m.span() for m in _DIGIT_GROUPS.finditer(view) if _phone_like(m[0])]
    return spans


def contact_in_name(name: str, *, digit_runs: bool = True) -> bool:
    """Whether a name shown to the other side (a store's, an order's number) holds contact
    details: anything `mask_contacts` finds without regions, a web address, and (unless
    `digit_runs` is off, for order numbers, which are long numbers) digits written as a phone
    number is (`_phone_like`)."""
    view = matching_view(without_format_characters(name)).text
    return bool(_name_spans(view, digit_runs=digit_runs))


def masked_name(name: str, *, digit_runs: bool = True) -> str:
    """A name as the other side may read it: what `contact_in_name` finds replaced by `MASK`.
    For names stored before such names were refused."""
    shown = without_format_characters(name)
    view = matching_view(shown)
    spans = sorted(view.shown_span(*span) for span in _name_spans(view.text, digit_runs=digit_runs))
    if not spans:
        return shown
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        if end <= cursor:
            continue
        pieces.append(shown[cursor : max(start, cursor)])
        pieces.append(MASK)
        cursor = end
    pieces.append(shown[cursor:])
    return "".join(pieces)


def store_name_for_buyer(name: str) -> str:
    """A store's name as its buyers read it anywhere (tracking news, the order card, a return
    case): a name stored before contact details in names were refused is shown masked. The
    store itself reads its name as it is."""
    return masked_name(name)


def order_number_for_buyer(number: str) -> str:
    """An order number as the buyer reads it anywhere, masked like `store_name_for_buyer`; long
    digit runs stay, order numbers are made of them."""
    return masked_name(number, digit_runs=False)
