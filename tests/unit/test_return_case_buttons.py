"""The case card's buttons are the case's allowed actions for the reader's side, in every state:
each action a side may take has its button (talking and adding photos happen in the thread, so
they have none), no other action gets one, and the transcript is always offered."""

from __future__ import annotations

import pytest

from domain.returns.rules import Action, Side
from domain.services import return_views
from handlers.buyer.callbacks import BuyerCase
from handlers.return_callbacks import CaseAct, CaseButton
from handlers.return_case import ACTION_BUTTONS, case_keyboard
from tests.unit.test_return_cases import EXPECTED

# Done by writing in the case's thread (the relay), not by a button.
IN_THE_THREAD = {Action.POST_MESSAGE, Action.ADD_EVIDENCE}
BUTTON_OF = dict(ACTION_BUTTONS)


@pytest.mark.parametrize(("state", "side"), [(s, side) for s in EXPECTED for side in Side])
def test_the_card_offers_exactly_what_the_case_allows(state: str, side: Side) -> None:
    make, _status, buyer, seller = EXPECTED[state]
    case = make()
    allowed = case.allowed_actions(side)
    assert allowed == (buyer if side is Side.BUYER else seller)
    card = return_views.CaseCard(
        case=case,
        order_number="AE-1",
        items=(),
        open_offer=case.open_offer,
        waiting_on=None,
        timeline=(),
        side=side,
        actions=allowed,
    )
    callbacks = [button.callback for row in case_keyboard(card) for button in row]
    pressed = {c.action for c in callbacks if isinstance(c, CaseAct)}
    withdraw = [c for c in callbacks if isinstance(c, BuyerCase)]
    expected = {BUTTON_OF[a] for a in allowed - IN_THE_THREAD - {Action.WITHDRAW}}
    # Reading the record: always the transcript, and the photos when there are any.
    photos = {CaseButton.EVIDENCE} if case.evidence else set()
    assert pressed == expected | {CaseButton.TRANSCRIPT} | photos
    assert bool(withdraw) == (Action.WITHDRAW in allowed)
    # Every press names the case and the reader's side (both checked again when pressed).
    assert {(c.case_id, c.side) for c in callbacks if isinstance(c, CaseAct)} == {(case.id, side)}


def test_every_action_but_talking_has_a_button() -> None:
    assert set(BUTTON_OF) | IN_THE_THREAD | {Action.WITHDRAW} == set(Action)


def test_accept_and_decline_name_the_offer_and_old_presses_name_none() -> None:
    """The offer id is the last field: a button drawn before it existed still unpacks, naming no
    offer (0), so its accept or decline is refused as for an offer that changed."""
    new = CaseAct(action=CaseButton.ACCEPT, case_id=1, side=Side.SELLER, offer_id=7)
    assert new.pack() == "rca:acc:1:seller:0:7" and CaseAct.unpack(new.pack()) == new
    old = CaseAct.unpack("rca:acc:1:seller:0")
    assert (old.action, old.case_id, old.side, old.value, old.offer_id) == (
        CaseButton.ACCEPT,
        1,
        Side.SELLER,
        0,
        0,
    )
    for forged in ("rca:acc:1", "rca:acc:1:seller:0:7:8", "rca:acc:1:seller:0:-1"):
        with pytest.raises((TypeError, ValueError)):
            CaseAct.unpack(forged)
