"""The users' side of `bench/updates.py`: the Bot API emulator and the simulated users.

It runs in a process of its own, so the bench process's CPU time is the bot's alone (the
emulator answering the bot, checking every request against the spec and keeping the chats
costs a few milliseconds per update, which would otherwise be billed to the bot). The bot and
this process talk HTTP on loopback, as a bot and Telegram do. The emulator keeps Telegram's
limits: 1 message a second per private chat and 30 a second in all, answering 429 beyond.

Workloads:

- **help**: open loop. `users` users send `/help` in turn, `rate` updates a second in all,
  whatever the bot does; each answer is matched to the oldest unanswered `/help` of its chat.
- **mix**: closed loop per user, paced to `rate` in all. A seller sends `/orders`, presses
  Next, opens an order from the page, presses "Confirm order", then starts `/neworder`,
  answers its first step (the order number) with text, and `/cancel`s. A step waits for the
  bot's answer to the previous one (up to `answer_timeout`) before it is sent. Against a bot
  without those screens (`synthetic=True`) the same kinds of update are sent: the same texts,
  and button presses on the bot's last message.

The answer to an update is the bot's first message, edit or pop-up in that chat after it.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from sandbox.emulator import BotApiEmulator, EmulatorEvent
from sandbox.users import EmulatedUser

ANSWER_KINDS = frozenset({"message", "edit", "callback_answer"})


@dataclass(frozen=True)
class LoadPlan:
    workload: str  # "help" or "mix"
    users: int
    rate: float
    duration: float
    warmup: float
    drain: float
    first_user_id: int
    synthetic: bool  # the bot under test has no /orders screens (the baseline bots)
    order_prefix: str = "BN"
    answer_timeout: float = 20.0
    max_updates: int | None = None  # a phase also ends once this many were sent


@dataclass
class LoadResult:
    offered: int = 0
    answered: int = 0
    lost: int = 0
    too_many_requests: int = 0
    latencies: list[float] = field(default_factory=list)
    stuck_steps: int = 0  # mix: a button the flow expected was not on screen
    seconds: float = 0.0


class AnswerTracker:
    """Matches the bot's output to the users' updates, per chat, oldest first."""

    def __init__(self, chats: set[int]) -> None:
        self._chats = chats
        self._pending: dict[int, deque[tuple[float, asyncio.Future[float]]]] = defaultdict(deque)
        self.latencies: list[float] = []
        self.offered = 0

    def on_event(self, event: EmulatorEvent) -> None:
        if event.kind not in ANSWER_KINDS or event.chat_id not in self._chats:
            return
        if event.kind != "callback_answer" and not event.data.get("from_bot"):
            return
        pending = self._pending.get(event.chat_id)
        if not pending:
            return
        sent, future = pending.popleft()
        now = time.perf_counter()
        self.latencies.append(now - sent)
        if not future.done():
            future.set_result(now)

    def sent(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pending[chat_id].append((time.perf_counter(), future))
        self.offered += 1
        return future

    def forget(self, chat_id: int, future: asyncio.Future[float]) -> None:
        """Stop waiting for one update's answer (a lost one): a late answer is not matched."""
        pending = self._pending.get(chat_id)
        if pending:
            for item in list(pending):
                if item[1] is future:
                    pending.remove(item)
                    break

    @property
    def unanswered(self) -> int:
        return sum(len(pending) for pending in self._pending.values())


class LoadRun:
    def __init__(self, emulator: BotApiEmulator, plan: LoadPlan) -> None:
        self.emulator = emulator
        self.plan = plan
        self.users = [
            emulator.user(plan.first_user_id + n, first_name=f"User {n}", language_code="en")
            for n in range(plan.users)
        ]
        self.stuck_steps = 0
        self.lost_waiting = 0

    async def phase(self, seconds: float, drain: float) -> tuple[AnswerTracker, float]:
        tracker = AnswerTracker({user.chat_id for user in self.users})
        self.emulator.add_listener(tracker.on_event)
        self.stuck_steps = 0
        self.lost_waiting = 0
        started = time.perf_counter()
        try:
            if self.plan.workload == "help":
                await self._help(tracker, seconds)
            else:
                await self._mix(tracker, seconds)
            await self._drain(tracker, drain)
        finally:
            self.emulator.remove_listener(tracker.on_event)
        return tracker, time.perf_counter() - started

    def _enough(self, tracker: AnswerTracker) -> bool:
        return self.plan.max_updates is not None and tracker.offered >= self.plan.max_updates

    async def _drain(self, tracker: AnswerTracker, drain: float) -> None:
        """Until every update is answered, or no answer came for a few seconds, or `drain`."""
        deadline = time.perf_counter() + drain
        last_count, last_progress = len(tracker.latencies), time.perf_counter()
        while tracker.unanswered and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
            if len(tracker.latencies) != last_count:
                last_count, last_progress = len(tracker.latencies), time.perf_counter()
            elif time.perf_counter() - last_progress > 5.0:
                break

    async def _help(self, tracker: AnswerTracker, seconds: float) -> None:
        interval = 1.0 / self.plan.rate
        started = time.perf_counter()
        for n in itertools.count():
            due = started + n * interval
            if due - started >= seconds or self._enough(tracker):
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            user = self.users[n % len(self.users)]
            tracker.sent(user.chat_id)
            await user.send("/help")

    async def _mix(self, tracker: AnswerTracker, seconds: float) -> None:
        ends = time.perf_counter() + seconds
        step_interval = len(self.users) / self.plan.rate
        await asyncio.gather(
            *(
                self._seller(tracker, user, ends, step_interval, random.random() * step_interval)
                for user in self.users
            )
        )

    async def _seller(
        self, tracker: AnswerTracker, user: EmulatedUser, ends: float, interval: float, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        steps = itertools.cycle(range(7))
        while time.perf_counter() < ends and not self._enough(tracker):
            step_started = time.perf_counter()
            future = await self._step(tracker, user, next(steps))
            if future is None:
                # The screen the step needs is not there: start the cycle again.
                steps = itertools.cycle(range(7))
                continue
            try:
                await asyncio.wait_for(asyncio.shield(future), self.plan.answer_timeout)
            except TimeoutError:
                tracker.forget(user.chat_id, future)
                self.lost_waiting += 1
                steps = itertools.cycle(range(7))
            await asyncio.sleep(max(0.0, step_started + interval - time.perf_counter()))

    async def _step(
        self, tracker: AnswerTracker, user: EmulatedUser, step: int
    ) -> asyncio.Future[float] | None:
        texts = {0: "/orders", 4: "/neworder", 6: "/cancel"}
        if step in texts:
            future = tracker.sent(user.chat_id)
            await user.send(texts[step])
            return future
        if step == 5:
            future = tracker.sent(user.chat_id)
            await user.send(f"AE-{random.randrange(10**6, 10**7)}")
            return future
        target = self._button(user, step)
        if target is None:
            self.stuck_steps += 1
            return None
        message_id, data = target
        future = tracker.sent(user.chat_id)
        await user.press_data(message_id, data)
        return future

    def _button(self, user: EmulatedUser, step: int) -> tuple[int, str] | None:
        """The (message, callback data) the step presses: Next, an order, Confirm order."""
        messages = user.bot_messages()
        if not messages:
            return None
        if self.plan.synthetic:
            return messages[-1].message_id, f"step:{step}"
        wanted = {1: "Next", 2: self.plan.order_prefix, 3: "Confirm order"}[step]
        for message in reversed(messages[-3:]):
            for button in message.buttons:
                if wanted in button.text and button.callback_data:
                    return message.message_id, button.callback_data
        return None


async def _receive(connection: Connection) -> Any:
    return await asyncio.to_thread(connection.recv)


async def _serve(connection: Connection, plan: LoadPlan) -> None:
    # Telegram's limits (the emulator's defaults, spelt out): 1/s per private chat, 30/s in all.
    emulator = BotApiEmulator(per_chat_interval=1.0, global_per_second=30)
    async with emulator:
        connection.send(("ready", emulator.base_url))
        await _receive(connection)  # the bot is up
        run = LoadRun(emulator, plan)
        # Warm-up: every user has talked to the bot once (first contact, lazy imports).
        await run.phase(plan.warmup, drain=plan.drain)
        await asyncio.sleep(1.1)  # the per-chat limit forgets the warm-up's answers
        refused_before = emulator.stats.too_many_requests
        connection.send(("measuring", None))
        tracker, seconds = await run.phase(plan.duration, drain=plan.drain)
        result = LoadResult(
            offered=tracker.offered,
            answered=len(tracker.latencies),
            lost=tracker.unanswered + run.lost_waiting,
            too_many_requests=emulator.stats.too_many_requests - refused_before,
            latencies=tracker.latencies,
            stuck_steps=run.stuck_steps,
            seconds=seconds,
        )
        connection.send(("done", result))
        await _receive(connection)  # the bot has stopped


def serve(connection: Connection, plan: LoadPlan) -> None:
    """Entry point of the load process (multiprocessing, spawn)."""
    asyncio.run(_serve(connection, plan))
