"""Contact masking in return cases: real-looking contacts are hidden, the numbers a negotiation
is made of (orders, prices, dates, tracking numbers) are not."""

from __future__ import annotations

import unicodedata

import pytest

from domain.returns.masking import MASK, ContactKind, contact_in_name, mask_contacts, masked_name

REGIONS = ("FR", "CN", "RU", "ES", "US", "GB", "BR")

HIDDEN = [
    # phones, international and national forms
    ("call me +7 913 123-45-67 please", ContactKind.PHONE),
    ("my number 8 (913) 123-45-67", ContactKind.PHONE),
    ("tel: 06 12 34 56 78", ContactKind.PHONE),
    ("+86 138 0013 8000 微信同号", ContactKind.PHONE),
    ("打我电话 13800138000", ContactKind.PHONE),
    ("ring +44 20 7946 0958 after 6", ContactKind.PHONE),
    ("0034 612 345 678", ContactKind.PHONE),
    ("+1 (415) 555-0132", ContactKind.PHONE),
    ("whatsapp +55 11 91234-5678", ContactKind.PHONE),
    # e-mail, plain and spelled out
    ("write to kate.smith+shop@gmail.com", ContactKind.EMAIL),
    ("mail: li_wei@qq.com", ContactKind.EMAIL),
    ("alex @ example.com", ContactKind.EMAIL),
    ("write to alex @example.com", ContactKind.EMAIL),
    ("kate ＠ qq.com", ContactKind.EMAIL),
    ("kate (at) gmail (dot) com", ContactKind.EMAIL),
    ("kate at yandex dot ru", ContactKind.EMAIL),
    ("KATE@EXAMPLE.FR", ContactKind.EMAIL),
    ("邮箱 wang.fang＠163.com", ContactKind.EMAIL),
    ("alex at example dot com", ContactKind.EMAIL),
    ("ALEX AT EXAMPLE DOT COM", ContactKind.EMAIL),
    ("write alex [at] example [dot] com", ContactKind.EMAIL),
    ("alex(at)example(dot)com", ContactKind.EMAIL),
    ("alex {at} shop-box [dot] co [dot] uk", ContactKind.EMAIL),
    ("alex <at> example <dot> org", ContactKind.EMAIL),
    ("alex[@]example[.]com", ContactKind.EMAIL),
    ("alex (at) example.it", ContactKind.EMAIL),
    ("kate at mail dot by", ContactKind.EMAIL),
    ("alex собака example точка ru", ContactKind.EMAIL),
    ("alex (собака) example (точка) ru", ContactKind.EMAIL),
    # messengers
    ("find me @kate_returns", ContactKind.MESSENGER),
    ("t.me/kate_returns", ContactKind.MESSENGER),
    ("https://t.me/+AbCdEf123", ContactKind.MESSENGER),
    ("wa.me/34612345678", ContactKind.MESSENGER),
    ("https://chat.whatsapp.com/Gx7aBc", ContactKind.MESSENGER),
    ("WeChat: kate_88", ContactKind.MESSENGER),
    ("wechat kate1988", ContactKind.MESSENGER),
    ("微信: wangfang88", ContactKind.MESSENGER),
    ("vx：wf_2024", ContactKind.MESSENGER),
    ("line id: katey", ContactKind.MESSENGER),
    ("QQ: 123456789", ContactKind.MESSENGER),
    ("viber: kate.s", ContactKind.MESSENGER),
    ("instagram.com/kate.shop", ContactKind.MESSENGER),
    ("vk.com/id12345", ContactKind.MESSENGER),
    ("skype: live:kate_1", ContactKind.MESSENGER),
    # payment links and accounts
    ("pay here paypal.me/katesmith/25", ContactKind.PAYMENT),
    ("https://www.paypal.com/paypalme/kate", ContactKind.PAYMENT),
    ("revolut.me/kate42", ContactKind.PAYMENT),
    ("https://buy.stripe.com/test_14k5", ContactKind.PAYMENT),
    ("send to $KateCash", ContactKind.PAYMENT),
    ("IBAN FR76 3000 6000 0112 3456 7890 189", ContactKind.PAYMENT),
    ("DE89370400440532013000", ContactKind.PAYMENT),
    ("alipays://platformapi/startapp?saId=10000007", ContactKind.PAYMENT),
    ("https://qr.alipay.com/fkx12345abc", ContactKind.PAYMENT),
]

KEPT = [
    "Order 8123456789012345 arrived broken",
    "order AE-1042, 2 pcs",
    "I paid $12.99 for it",
    "the price was 1 299,00 € and 1299.00 RUB",
    "total 12,345.67 USD",
    "delivered on 2026-11-25 at 14:30",
    "delivered 25/11/2026 and 25.11.2026",
    "tracking RB123456785CN",
    "return tracking LP00123456789012",
    "SKU PC-1 and PC-2",
    "refund 50% please, or 30 %",
    "line 2 of the order is missing",
    "it took 10-15 days",
    "I will be at home at 5",
    "email me back here",
    "size 42, colour #3",
    "meet at noon dot",
    "look at the box. dot",
    "I worked at a dot com before",
    "prices at the dot com peak",
    "look at it dot by dot",
    "stay at home dot",
    "arrive at five on the dot",
    "the mail came at nine",
    "@home was where I opened it",
    "2 @ 5.99 each",
    "my order 612345678",
    "the ZIP is 75001",
    "$5 off",
    "DE89370400440532013001",  # fails the IBAN check
]


@pytest.mark.parametrize(("text", "kind"), HIDDEN)
def test_contacts_are_masked(text: str, kind: ContactKind) -> None:
    result = mask_contacts(text, regions=REGIONS)
    assert kind in result.found, result
    assert MASK in result.text


@pytest.mark.parametrize("text", KEPT)
def test_negotiation_numbers_are_not_masked(text: str) -> None:
    result = mask_contacts(text, regions=REGIONS, keep=["612345678"])
    assert result.text == text
    assert result.found == ()


def test_the_rest_of_the_text_is_kept_around_each_mask() -> None:
    result = mask_contacts(
        "Hi! Call +7 913 123-45-67 or mail kate@gmail.com about order AE-1042 (12.99 EUR).",
        regions=("RU",),
    )
    assert result.text == f"Hi! Call {MASK} or mail {MASK} about order AE-1042 (12.99 EUR)."
    assert result.found == (ContactKind.PHONE, ContactKind.EMAIL)
    assert result.masked


def test_a_link_is_masked_once_not_also_as_a_phone() -> None:
    result = mask_contacts("wa.me/34612345678 thanks", regions=("ES",))
    assert result.text == f"{MASK} thanks"
    assert result.found == (ContactKind.MESSENGER,)


def test_a_national_number_needs_its_region() -> None:
    assert mask_contacts("06 12 34 56 78").found == ()
    assert mask_contacts("06 12 34 56 78", regions=("FR",)).found == (ContactKind.PHONE,)


def test_what_the_case_names_is_kept_even_when_it_looks_like_a_phone() -> None:
    assert mask_contacts("order 612345678", regions=("ES",)).found == (ContactKind.PHONE,)
    kept = mask_contacts("order 612345678", regions=("ES",), keep=["612345678"])
    assert kept.text == "order 612345678"


def test_plain_text_comes_back_unchanged() -> None:
    text = "Коробка пришла мятая, фото ниже. 盒子坏了。"
    assert mask_contacts(text, regions=REGIONS).text == text


# ----- invisible and look-alike characters (tester t3, finding 3) -----

HIDDEN_BEHIND_LOOKALIKES = [
    # zero-width and other format characters inside the contact
    ("email me: alex.real\u200b@\u200bgmail.com", ContactKind.EMAIL),
    ("my telegram t\u200b.me/alex_real_01", ContactKind.MESSENGER),
    ("@\u200balex_real_01 on telegram", ContactKind.MESSENGER),
    ("alex\u200c.real@gm\u200dail.com", ContactKind.EMAIL),
    ("alex\u2060@\ufeffgmail.com", ContactKind.EMAIL),
    ("alex\u00ad@gmail\u00ad.com", ContactKind.EMAIL),
    ("t.me/\u2066alex_real_01\u2069", ContactKind.MESSENGER),
    ("pay\u200epal.me/evil\u200fshop", ContactKind.PAYMENT),
    ("call +1\u200b415\u2060555\u200b2671", ContactKind.PHONE),
    # look-alike full stops and "@" between the parts of an address or a link
    ("write to alex@gmail\u3002com", ContactKind.EMAIL),
    ("write to alex@gmail\uff61com", ContactKind.EMAIL),
    ("write to alex@gmail\uff0ecom", ContactKind.EMAIL),
    ("alex\uff20gmail.com", ContactKind.EMAIL),
    ("alex\ufe6bgmail\u00b7com", ContactKind.EMAIL),
    ("t\u3002me/alex_real_01", ContactKind.MESSENGER),
    ("t.me\u2215alex_real_01", ContactKind.MESSENGER),
    # fullwidth and mathematical letters, Latin-looking Cyrillic letters in a Latin word
    (
        "\uff54\uff0e\uff4d\uff45\uff0f\uff41\uff4c\uff45\uff58\uff3f\uff52\uff45\uff41\uff4c",
        ContactKind.MESSENGER,
    ),
    ("\U0001d41a\U0001d425\U0001d41e\U0001d431@gmail.com", ContactKind.EMAIL),
    ("alex@gm\u0430il.com", ContactKind.EMAIL),
    ("\u0440aypal.me/evilshop", ContactKind.PAYMENT),
    (
        "\uff0b\uff11 \uff14\uff11\uff15 \uff15\uff15\uff15 \uff12\uff16\uff17\uff11",
        ContactKind.PHONE,
    ),
    # blank letters for spaces, marks and variation selectors on ASCII characters
    ("alex\u3164@\u3164gmail.com", ContactKind.EMAIL),
    ("t\u0332.\u0332m\u0332e\u0332/alex_real_01", ContactKind.MESSENGER),
    ("alex\ufe00@gmail.com", ContactKind.EMAIL),
    # a handle right after Chinese or Russian text, with no space
    ("\u8054\u7cfb\u6211@alex_real_01", ContactKind.MESSENGER),
    ("\u043f\u0438\u0448\u0438@alex_real_01", ContactKind.MESSENGER),
]


@pytest.mark.parametrize(("text", "kind"), HIDDEN_BEHIND_LOOKALIKES)
def test_invisible_and_lookalike_characters_do_not_hide_a_contact(
    text: str, kind: ContactKind
) -> None:
    result = mask_contacts(text, regions=REGIONS)
    assert kind in result.found, result
    assert MASK in result.text
    assert not [ch for ch in result.text if unicodedata.category(ch) == "Cf"]


def test_what_is_left_around_a_mask_is_as_written() -> None:
    result = mask_contacts("email me: alex.real\u200b@\u200bgmail.com today", regions=REGIONS)
    assert result.text == f"email me: {MASK} today"
    fullwidth = mask_contacts("邮箱 alex\uff20gmail\u3002com，谢谢。", regions=REGIONS)
    assert fullwidth.text == f"邮箱 {MASK}，谢谢。"


def test_direction_overrides_are_dropped_so_the_text_reads_as_written() -> None:
    result = mask_contacts("I agree to \u202e05.4$\u202c refund", regions=REGIONS)
    assert result.text == "I agree to 05.4$ refund"
    assert result.found == ()
    isolated = mask_contacts("\u2067total\u2069 \u202a12\u202c \u202b€\u202c \u202dok\u202c")
    assert isolated.text == "total 12 € ok"


KEPT_AS_WRITTEN = [
    "盒子坏了。我要退款。",  # 。 ends Chinese sentences
    "收到了。OK 谢谢",  # ...also before Latin letters, when a Chinese character precedes it
    "Order AE-1042。Thanks",  # between a digit and a space: not the middle of a domain
    "👩\u200d💻 works from home, ❤\ufe0f\u200d🔥 and 🏳\ufe0f\u200d🌈",  # emoji sequences
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scotland",  # a flag's tags
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0628\u0627\u0632\u06af\u0631\u062f\u0627\u0646\u0645",
    "Коробка пришла мятая, пишу собака-хозяйке точка",
    "Цена 12.99 € за 2 шт.",
    "size М and L",  # a Cyrillic letter alone is no word to fold
    "ＡＢＣ１２３ is the SKU",
]


@pytest.mark.parametrize("text", KEPT_AS_WRITTEN)
def test_legitimate_text_is_not_mangled(text: str) -> None:
    result = mask_contacts(text, regions=REGIONS)
    assert result.text == text
    assert result.found == ()


def test_an_order_number_that_is_a_contact_is_not_kept() -> None:
    text = "Pay me directly, cheaper for both: paypal.me/evilshop"
    result = mask_contacts(text, regions=REGIONS, keep=["paypal.me/evilshop"])
    assert result.text == f"Pay me directly, cheaper for both: {MASK}"
    assert result.found == (ContactKind.PAYMENT,)
    # An order number that is a number is still kept, in fullwidth digits too.
    kept = mask_contacts("order ６１２３４５６７８", regions=("ES",), keep=["612345678"])
    assert kept.found == ()
    assert mask_contacts("order 2024/11/0042 ok", keep=["2024/11/0042"]).found == ()


@pytest.mark.parametrize(
    "name",
    [
        "WhatsApp +1 415 555 2671",
        "Shop 415-555-2671",
        "Gadgets 138 0013 8000",
        "Mei 13800138000",
        "(415) 555 2671",
        "@gadget_store",
        "Mei · mei@shop.cn",
        "t.me/meishop",
        "paypal.me/mei",
        "Gadgets.com",
        "www.meishop.cn",
        "Mei shop wx: mei_88",
        "Mei \uff20gadget_store",
        "mei\u200b@\u200bshop.cn",
    ],
)
def test_a_name_with_contact_details_is_found(name: str) -> None:
    assert contact_in_name(name)
    assert MASK in masked_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Shenzhen Gadgets",
        "Li's <Shop>",
        "Store 2024",
        "Dr.Phone",
        "St.Petersburg Goods",
        "深圳小店",
        "3C Store 88",
        "Shop1102345678 Store",
        "Crafts 1998-2024",
    ],
)
def test_an_ordinary_name_is_no_contact(name: str) -> None:
    assert not contact_in_name(name)
    assert masked_name(name) == name


def test_order_numbers_may_be_long_numbers_but_not_links() -> None:
    assert not contact_in_name("8123456789012345", digit_runs=False)
    assert not contact_in_name("2024/11/0042", digit_runs=False)
    assert not contact_in_name("INV.2024.001", digit_runs=False)
    assert contact_in_name("paypal.me/evilshop", digit_runs=False)
    assert contact_in_name("evilshop.com/order1", digit_runs=False)
    assert masked_name("paypal.me/evilshop", digit_runs=False) == MASK
