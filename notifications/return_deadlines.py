"""Return case deadlines: a scheduler job that fires due reminders and lapses, each once.

One tick claims due firings with a lease and commits the claim (short: no work is done under
it), then fires each claimed firing in a transaction of its own
(`domain.services.return_deadlines.fire`). Several workers share the work: the lease keeps
them apart, and a firing found already fired is skipped, so a worker that crashed after firing
but before its lease ran out does not make another worker fire it again.

A job's first tick also gives the refund deadline to the cases that owed a refund before that
deadline existed (`return_deadlines.plan_unplanned_refunds`): a deadline is otherwise planned
only when a case changes, and such a case might never change again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from domain.returns.deadlines import DeadlineRules
from domain.services import return_deadlines
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class ReturnDeadlineSettings(Protocol):
    """What the deadlines read from the settings (bot.settings.Settings has it)."""

    return_seller_answer_days: int
    return_offer_answer_hours: int
    return_ship_days: int
    return_refund_days: int


def return_deadline_rules(settings: ReturnDeadlineSettings) -> DeadlineRules:
    return DeadlineRules(
        seller_first_answer=timedelta(days=settings.return_seller_answer_days),
        offer_answer=timedelta(hours=settings.return_offer_answer_hours),
        return_shipment=timedelta(days=settings.return_ship_days),
        refund_payment=timedelta(days=settings.return_refund_days),
    )


@dataclass(frozen=True, slots=True)
class TickResult:
    claimed: int
    fired: int


class ReturnDeadlineJob:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        rules: DeadlineRules | None = None,
        *,
        batch: int = return_deadlines.CLAIM_BATCH,
    ) -> None:
        self.uow_factory = uow_factory
        self.rules = rules or DeadlineRules()
        self.batch = batch
        self._stopping = False
        # Cases agreed before the refund deadline existed get it once, on this job's first tick.
        self._refunds_planned = False

    def stop_claiming(self) -> None:
        """Shutdown: fire the firing in hand, hand the rest of the batch back, claim no more."""
        self._stopping = True

    async def tick(self) -> TickResult:
        if not self._refunds_planned:
            await self._plan_unplanned_refunds()
        claimed = fired = 0
        while not self._stopping:
            async with self.uow_factory() as uow:
                ids = await return_deadlines.claim_due(uow, limit=self.batch)
                await uow.commit()
            claimed += len(ids)
            left = list(ids)
            try:
                while left and not self._stopping:
                    fired += await self._fire(left[0])
                    left.pop(0)
            finally:
                # Stopping or cancelled: what was claimed and not fired is due again at once,
                # not when the lease runs out (a cancellation is delivered once, so this
                # await still runs).
                if left:
                    await self._release(left)
            if len(ids) < self.batch:
                break
        if fired:
            log.info("return deadlines: %d firing(s) done", fired)
        return TickResult(claimed, fired)

    async def _plan_unplanned_refunds(self) -> None:
        planned = self.batch
        try:
            while planned == self.batch and not self._stopping:
                async with self.uow_factory() as uow:
                    planned = await return_deadlines.plan_unplanned_refunds(
                        uow, self.rules, limit=self.batch
                    )
                    await uow.commit()
                if planned:
                    log.info("return deadlines: refund deadline planned for %d case(s)", planned)
        except Exception:
            # The firings due still fire; the next tick tries the planning again.
            log.exception("return deadlines: planning the refunds owed failed")
            return
        self._refunds_planned = True

    async def _release(self, firing_ids: list[int]) -> None:
        async with self.uow_factory() as uow:
            released = await return_deadlines.release(uow, firing_ids)
            await uow.commit()
        log.info("return deadlines: %d claimed firing(s) handed back", released)

    async def _fire(self, firing_id: int) -> int:
        try:
            async with self.uow_factory() as uow:
                done = await return_deadlines.fire(firing_id, uow, self.rules)
                await uow.commit()
        except Exception:
            # Left claimed: the lease runs out and a later tick tries again.
            log.exception("return deadline firing %d failed", firing_id)
            return 0
        return 1 if done is not None else 0
