"""The return policy's changes as a seller makes them (`ReturnPolicy.with_…`) and the editor's
draft: the window's bounds, a category's name and prefixes, the limit of categories, a removal
by key that a stale button cannot misdirect, a reason's payer switched, the draft's round trip."""

from __future__ import annotations

import pytest

from domain.drafts import PolicyDraft
from domain.drafts.stored import UnreadableDraft
from domain.errors import InvalidInput
from domain.returns.policy import (
    MAX_CATEGORIES,
    NonReturnableCategory,
    ReturnPolicy,
    split_prefixes,
)
from domain.returns.rules import PostagePayer, ReturnReason


def _key(error: pytest.ExceptionInfo[InvalidInput]) -> str:
    return error.value.key


@pytest.mark.parametrize("raw", ["0", "366", "", "abc", "-1", "1.5", "1e2", "²"])
def test_a_window_outside_1_to_365_whole_days_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        ReturnPolicy().with_window(raw)
    assert _key(error) == "returns.window_invalid"


def test_the_window_takes_1_and_365() -> None:
    assert ReturnPolicy().with_window(" 1 ").window_days == 1
    assert ReturnPolicy().with_window("365").window_days == 365


def test_prefixes_are_split_by_commas_semicolons_and_spaces() -> None:
    assert split_prefixes(" SW-, BIKINI;;  TOP\nX ") == ["SW-", "BIKINI", "TOP", "X"]
    assert split_prefixes(" ,; ") == []


def test_a_category_is_named_once_and_its_prefixes_checked() -> None:
    draft = PolicyDraft().with_category_name("  Swim   wear ")
    assert draft.category_name == "Swim wear"
    category = draft.category("SW-, sw-, BIKINI")
    assert category == NonReturnableCategory("Swim wear", ("SW-", "BIKINI"))
    with pytest.raises(InvalidInput) as error:
        draft.category(" , ")
    assert _key(error) == "returns.sku_prefix_invalid"
    with pytest.raises(InvalidInput) as error:
        PolicyDraft().with_category_name(" ")
    assert _key(error) == "returns.category_name_invalid"
    policy = ReturnPolicy().with_category(category)
    with pytest.raises(InvalidInput) as error:
        policy.with_category(NonReturnableCategory("SWIM WEAR", ("X",)))
    assert _key(error) == "returns.category_exists"


def test_no_more_than_the_limit_of_categories() -> None:
    policy = ReturnPolicy()
    for number in range(MAX_CATEGORIES):
        policy = policy.with_category(NonReturnableCategory(f"C{number}", (f"P{number}",)))
    with pytest.raises(InvalidInput) as error:
        policy.check_room_for_category()
    assert _key(error) == "returns.too_many_categories"
    with pytest.raises(InvalidInput):
        policy.with_category(NonReturnableCategory("One more", ("Z",)))


def test_a_category_is_removed_by_its_key_and_a_stale_key_removes_nothing() -> None:
    first = NonReturnableCategory("Swimwear", ("SW-",))
    second = NonReturnableCategory("Underwear", ("UW-",))
    policy = ReturnPolicy().with_category(first).with_category(second)
    assert first.key != second.key and len(first.key) == 10
    assert NonReturnableCategory("SWIMWEAR", ("X",)).key == first.key
    without = policy.without_category(first.key)
    assert without.non_returnable == (second,)
    with pytest.raises(InvalidInput) as error:
        without.without_category(first.key)
    assert _key(error) == "returns.category_gone"


def test_a_press_switches_one_reasons_payer_and_nothing_else() -> None:
    switched = ReturnPolicy().with_payer_switched("changed_mind")
    assert switched.postage_payer(ReturnReason.CHANGED_MIND) is PostagePayer.STORE
    assert switched.with_payer_switched("changed_mind") == ReturnPolicy()
    others = [r for r in ReturnReason if r is not ReturnReason.CHANGED_MIND]
    assert all(switched.postage_payer(r) is ReturnPolicy().postage_payer(r) for r in others)
    for forged in ("", "CHANGED_MIND", "refund_full", "changed_mind "):
        with pytest.raises(InvalidInput) as error:
            ReturnPolicy().with_payer_switched(forged)
        assert _key(error) == "errors.invalid_choice"


def test_the_draft_round_trips_and_forgets_the_name_once_saved() -> None:
    draft = PolicyDraft().with_category_name("Swimwear")
    assert PolicyDraft.from_data(draft.to_data()) == draft
    assert draft.after_saving() == PolicyDraft(saved=True)
    assert PolicyDraft.from_data({"saved": "yes"}) == PolicyDraft(saved=True)
    with pytest.raises(UnreadableDraft):
        PolicyDraft.from_data({"category_name": 5})
