"""Typed names and free text: what people really type is accepted, disguises are refused.

The same rule guards every place that takes such text (store, warehouse, contact, product,
carrier, review notes), so each example is tried through every one of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.drafts.shipping import ShippingDraft
from domain.errors import InvalidInput
from domain.model import Warehouse, WarehouseKind, WarehouseStatus
from domain.services import sellers, warehouses
from domain.services.orders import cleaning
from domain.services.shipping import steps
from domain.typed_text import (
    HIDDEN_CHARACTERS_KEY,
    MAX_MARKS_IN_A_ROW,
    clean_typed_line,
    comparable_name,
    displayable_name,
    visible_length,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# What people type, as they type it (escapes only where the character is invisible).
ACCEPTED = {
    "emoji with zero-width joiners and a variation selector": "👩\u200d💻 Shop ❤️",
    "family emoji (three joiners)": "👨\u200d👩\u200d👧\u200d👦 Family Store",
    "skin-tone modifier": "👍🏽 Good Deals",
    "keycap": "1️⃣ Stop Shop",
    "flag of two regional indicators": "🇩🇪 Laden Berlin",
    "subdivision flag written with tag characters": (
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Highland Goods"
    ),
    "rainbow flag (joiner + variation selector)": "🏳️\u200d🌈 Pride Shop",
    "pirate flag (black flag + joiner, no tags)": "🏴\u200d☠️ Jolly Goods",
    "a row of emoji": "🎉🎉🎉🎉🎉🎉🎉🎉 Party",
    "an emoji newer than Python's Unicode database": "\U0001fa77 Pink Store",  # 🩷, Unicode 15
    "Arabic with a right-to-left mark": "متجر النور\u200f 24",
    "Arabic with an Arabic letter mark": "\u061cمتجر 7",
    "Hebrew with a left-to-right mark around Latin": "חנות \u200eABC\u200e",
    "Persian with a zero-width non-joiner": "کتاب\u200cخانه",
    "Hindi (spacing and non-spacing marks)": "क्षत्रिय स्टोर",
    "Vietnamese (stacked diacritics)": "Cửa hàng Việt",
    "Thai (tone marks above vowels)": "ร้านค้าดี",
    "Chinese": "深圳优选",
    "Korean": "서울 상점",
    "Russian": "Магазин «Север»",
    "ampersand and accents": "Castilla & León Hub",
    "decomposed accents (normalised)": "Cafe\u0301 Noir",
}

REFUSED_AS_HIDDEN = {
    "right-to-left override (file-name spoof)": "Shop \u202egpj.exe",
    "left-to-right override": "\u202dShop",
    "right-to-left embedding": "\u202bمتجر\u202c",
    "left-to-right embedding": "\u202aShop\u202c",
    "pop directional formatting alone": "Shop\u202c",
    "first-strong isolate": "\u2068Shop\u2069",
    "left-to-right isolate": "\u2066Shop\u2069",
    "right-to-left isolate": "\u2067متجر\u2069",
    "NUL": "Shop\x00",
    "bell": "Sh\x07op",
    "escape sequence": "Shop\x1b[31m",
    "delete": "Shop\x7f",
    "C1 control": "Shop\x9b",
    "private-use character": "Shop \ue000",
    "lone surrogate": "Shop \ud800",
    "unassigned code point outside the emoji blocks": "Shop \U000e0000",
    "interlinear annotation": "\ufff9Shop\ufffb",
    "stray tag characters": "Shop\U000e0041\U000e007f",
    "a flag left open": "🏴\U000e0067\U000e0062 Shop",
    "Hangul filler as a fake letter": "Shop\u3164",
    "half-width Hangul filler": "\uffa0\uffa0",
    "braille blank": "Shop\u2800\u2800",
    "Zalgo text": "S\u0336\u0334\u0337\u0338\u0321\u0322\u0327\u0328\u031b\u0340hop",
}

REFUSED_AS_TOO_SHORT = {
    "empty": "",
    "spaces only": "   \n\t ",
    "zero-width joiners only": "\u200d\u200d\u200d",
    "variation selectors only": "\ufe0f\ufe0f",
    "direction marks only": "\u200e\u200f\u061c",
    "marks, joiners and spaces only": "\u0301 \u200d \ufe0f \u200f",
    "zero-width spaces only (dropped)": "\u200b\u200b\u200b",
    "one letter and a joiner": "A\u200d",
}


@pytest.mark.parametrize("typed", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_what_people_type_is_kept_as_typed(typed: str) -> None:
    kept = clean_typed_line(typed, 2, 64, "test.invalid")
    assert kept.replace(" ", "") != ""
    # Only normalisation may change it: joiners, selectors and marks stay.
    for ch in "\u200d\u200c\u200e\u200f\u061c\ufe0f":
        assert kept.count(ch) == typed.count(ch)


def test_decomposed_accents_are_stored_composed() -> None:
    assert clean_typed_line("Cafe\u0301 Noir", 2, 64, "k") == "Café Noir"


@pytest.mark.parametrize("typed", list(REFUSED_AS_HIDDEN.values()), ids=list(REFUSED_AS_HIDDEN))
def test_disguises_and_controls_are_refused_with_their_own_message(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_typed_line(typed, 2, 64, "test.invalid")
    assert refused.value.key == HIDDEN_CHARACTERS_KEY


@pytest.mark.parametrize(
    "typed", list(REFUSED_AS_TOO_SHORT.values()), ids=list(REFUSED_AS_TOO_SHORT)
)
def test_invisible_only_text_is_too_short(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_typed_line(typed, 2, 64, "test.invalid")
    assert refused.value.key == "test.invalid"
    assert refused.value.params == {"min": 2, "max": 64}


def test_whitespace_is_one_space_and_meaningless_invisibles_are_dropped() -> None:
    assert clean_typed_line("  Big \n\t Shop\u00a0 ", 2, 64, "k") == "Big Shop"
    assert clean_typed_line("Ber\u200blin\u00ad\ufeff", 2, 64, "k") == "Berlin"


def test_marks_up_to_the_limit_are_fine() -> None:
    # Pointed Hebrew: a letter with dagesh, two vowel points and cantillation.
    stacked = "שׁ" + "\u05bc\u05b0\u05b4\u0591\u05a5"[: MAX_MARKS_IN_A_ROW - 1]
    kept = clean_typed_line(stacked + " ב", 2, 64, "k")
    assert kept == unicodedata.normalize("NFC", stacked + " ב")


def test_the_maximum_counts_code_points_and_the_minimum_visible_characters() -> None:
    assert clean_typed_line("a" * 64, 2, 64, "k") == "a" * 64
    with pytest.raises(InvalidInput):
        clean_typed_line("a" * 65, 2, 64, "k")
    # Four visible emoji in 7 code points: the column holds code points.
    assert visible_length("👩\u200d💻👍🏽") == 4
    with pytest.raises(InvalidInput):
        clean_typed_line("👩\u200d💻" * 22, 2, 64, "k")  # 66 code points


def test_commands_are_refused_only_where_asked() -> None:
    with pytest.raises(InvalidInput):
        clean_typed_line("/start", 2, 64, "k", refuse_commands=True)
    assert clean_typed_line("/start", 2, 64, "k") == "/start"


def test_names_differing_only_by_invisible_marks_compare_equal() -> None:
    assert comparable_name("Berlin\u200e") == comparable_name(" berlin ")
    assert comparable_name("👩\u200d💻 Hub") == comparable_name("👩💻 HUB")
    assert comparable_name("Berlin") != comparable_name("Berlín")


def _warehouse() -> Warehouse:
    return Warehouse(
        seller_id=1,
        kind=WarehouseKind.DOMESTIC,
        name="Main",
        name_key="main",
        country="CN",
        street="1 Road",
        city="Shenzhen",
        contact_name="Li",
        contact_phone="+8613800138000",
        capabilities=["shipping"],
        status=WarehouseStatus.PENDING_REVIEW,
        created_at=NOW,
        updated_at=NOW,
    )


def _review_note(text: str) -> str:
    warehouse = _warehouse()
    warehouse.reject(42, text, NOW)
    assert warehouse.review_note is not None
    return warehouse.review_note


def _carrier(text: str) -> str:
    draft = ShippingDraft(order_id=1, quantities={1: 1}, declared_value=Decimal(10), currency="EUR")
    carrier = steps.set_carrier(draft, text).carrier
    assert carrier is not None
    return carrier


# Every place a person types a name or a line of text, with the key that explains its length.
EVERY_PLACE: dict[str, tuple[Callable[[str], str | None], str]] = {
    "store name": (sellers.clean_store_name, "registration.store_name_invalid"),
    "warehouse name": (warehouses.clean_name, "warehouse.name_invalid"),
    "contact name": (warehouses.clean_contact_name, "warehouse.contact_invalid"),
    "street": (warehouses.clean_street, "warehouse.street_invalid"),
    "city": (warehouses.clean_city, "warehouse.city_invalid"),
    "region": (warehouses.clean_region, "warehouse.region_invalid"),
    "product name": (cleaning.clean_product_name, "orders.product_name_invalid"),
    "SKU": (cleaning.clean_sku, "orders.sku_invalid"),
    "cancel reason": (cleaning.clean_cancel_reason, "orders.cancel_reason_invalid"),
    "carrier": (_carrier, "shipping.carrier_invalid"),
    "review note": (_review_note, "warehouse.reason_required"),
}


@pytest.mark.parametrize("place", list(EVERY_PLACE))
def test_every_place_accepts_real_names(place: str) -> None:
    clean, _key = EVERY_PLACE[place]
    for typed in ("👩\u200d💻 Shop ❤️", "متجر النور\u200f 24", "חנות \u200eABC\u200e"):
        assert clean(typed) == typed, (place, typed)


@pytest.mark.parametrize("place", list(EVERY_PLACE))
def test_every_place_refuses_disguises_and_invisible_names(place: str) -> None:
    clean, key = EVERY_PLACE[place]
    for typed in ("Shop \u202egpj.exe", "\u2066Shop\u2069", "Shop\x1b[0m"):
        with pytest.raises(InvalidInput) as refused:
            clean(typed)
        assert refused.value.key == HIDDEN_CHARACTERS_KEY, (place, typed)
    with pytest.raises(InvalidInput) as refused:
        clean("\u200d\ufe0f \u200f\u200d")
    assert refused.value.key == key, place


def test_warehouse_names_that_look_the_same_are_the_same_name() -> None:
    assert warehouses.name_key("Hub\u200f") == warehouses.name_key("hub")


# ----- names we show but did not ask for: file names -----


def test_file_names_lose_what_would_disguise_them_and_keep_the_rest() -> None:
    assert displayable_name("invoice\u202egpj.pdf", 255, "document") == "invoicegpj.pdf"
    assert displayable_name("\u2066scan\u2069 of\x00 licence\x1b.pdf", 255, "d") == (
        "scan of licence.pdf"
    )
    typed = "Лицензия 👩\u200d💻 \u200fفاتورة.pdf"
    assert displayable_name(typed, 255, "document") == typed
    assert displayable_name("  many   spaces\n.pdf ", 255, "d") == "many spaces .pdf"
    assert displayable_name("x" * 300, 255, "d") == "x" * 255


def test_a_file_name_with_nothing_visible_gets_the_default() -> None:
    assert displayable_name("\u202e\u200d\u3164", 255, "document") == "document"
    assert displayable_name(None, 255, "document") == "document"


def test_a_refused_file_names_itself_without_its_disguise() -> None:
    with pytest.raises(InvalidInput) as refused:
        warehouses.check_document("licence\u202efdp.exe", "application/pdf", 100)
    assert refused.value.key == "warehouse.document_type"
    assert refused.value.params == {"file_name": "licencefdp.exe"}
