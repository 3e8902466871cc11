"""The two answers about a return case that cannot be undone, each asked first: the buyer
withdrawing their case, and either side escalating it to a platform dispute (which freezes it
for good). Asking issues the token the confirming button carries
(`domain.services.confirmations`); the "yes" acts only with the token of the latest such
question about the same case, pressed within its lifetime, once. The acts themselves are
`returns.withdraw` and `returns.escalate`.
"""

from __future__ import annotations

from domain.model import ReturnCase
from domain.returns.deadlines import DeadlineRules
from domain.returns.rules import Action, Side
from domain.services import buyer_returns, confirmations, return_offers, returns
from domain.unit_of_work import UnitOfWork

WITHDRAW = confirmations.Purpose.WITHDRAW_RETURN
ESCALATE = confirmations.Purpose.ESCALATE_RETURN


async def ask_to_withdraw(
    user_id: int, case_id: int, uow: UnitOfWork
) -> tuple[buyer_returns.BuyerCaseLine, int]:
    """The buyer's case as the question shows it (refused if it can no longer be withdrawn,
    not found unless it is theirs), and the token of the question."""
    case = await buyer_returns.case_to_withdraw(user_id, case_id, uow)
    return case, await confirmations.ask(user_id, WITHDRAW, uow, about=case.case_id)


async def withdraw_on_confirmation(
    user_id: int, case_id: int, token: int, uow: UnitOfWork, rules: DeadlineRules
) -> ReturnCase:
    # Someone else's case is not found, as everywhere, before any token is looked at.
    case = await returns.case_for(user_id, case_id, Side.BUYER, uow)
    await confirmations.confirm(user_id, WITHDRAW, token, uow, about=case.id)
    return await returns.withdraw(user_id, case.id, uow, rules)


async def ask_to_escalate(user_id: int, case_id: int, side: Side, uow: UnitOfWork) -> int:
    """The token of the question, if `side` of the caller's case may escalate it now."""
    case = await returns.case_for(user_id, case_id, side, uow)
    return_offers.require(case, side, Action.ESCALATE)
    return await confirmations.ask(user_id, ESCALATE, uow, about=case.id)


async def escalate_on_confirmation(
    user_id: int, case_id: int, side: Side, token: int, uow: UnitOfWork, rules: DeadlineRules
) -> ReturnCase:
    case = await returns.case_for(user_id, case_id, side, uow)
    await confirmations.confirm(user_id, ESCALATE, token, uow, about=case.id)
    return await returns.escalate(user_id, case.id, side, uow, rules)


async def keep(user_id: int, purpose: confirmations.Purpose, token: int, uow: UnitOfWork) -> None:
    """A "no" to the question that issued `token`: no yes of it acts any more (a newer
    question stays open)."""
    await confirmations.forget(user_id, purpose, token, uow)
