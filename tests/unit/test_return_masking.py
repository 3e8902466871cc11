"""Contact masking in return cases: real-looking contacts are hidden, the numbers a negotiation
is made of (orders, prices, dates, tracking numbers) are not."""

from __future__ import annotations

import pytest

from domain.returns.masking import MASK, ContactKind, mask_contacts

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
