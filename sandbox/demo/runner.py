"""The guided demo's runner: plays flows step by step in the web chat, and stops on takeover.

The runner acts through a ``DemoDriver`` (the sandbox's ``SandboxDemoDriver``), announces each
step and pauses so a person can follow, checks that the bot answered as the step expects, and
stops at once when the person takes over (``stop``). What to play is data
(``sandbox.demo.flows``); a step that fails stops the demo with a message the page shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from sandbox.demo.flows import FLOWS
from sandbox.demo.sample_files import SAMPLE_FILES
from sandbox.demo.steps import DemoAction, DemoFlow, DemoStep

__all__ = ["DemoDriver", "DemoFailed", "DemoRunner", "DemoStatus"]

log = logging.getLogger(__name__)

DEFAULT_PAUSE_SECONDS = 1.4
# Replies go through the bot's rate-limited sender (about one message per second per chat),
# so a step that triggers several messages needs a generous wait.
DEFAULT_EXPECT_TIMEOUT = 20.0
# After each fast-forward jump: how long the tracking tick and the outbox get before the next
# jump. A message that comes later still counts (the search starts where the step began).
FAST_FORWARD_SETTLE_SECONDS = 2.5


class DemoFailed(Exception):
    """The bot did not answer a step the way the script expects."""


class DemoDriver(Protocol):
    """What the runner needs from the sandbox. Actions here never count as a takeover."""

    def mark(self) -> int:
        """A position in the bot's output (in every chat), for `wait_for_reply` to look after."""

    async def send_text(self, persona: str, text: str) -> object: ...

    async def press_label(self, persona: str, label: str, timeout: float) -> None:  # noqa: ASYNC109
        """Press the newest inline button whose label contains `label`, waiting for it."""

    async def upload_file(
        self, persona: str, name: str, content: bytes, mime: str, kind: str
    ) -> None:
        """Send a sample file as a document, or as a photo (`kind` "photo")."""

    async def open_link(self, url: str) -> None:
        """Click a start link to the bot, as the persona it is meant for."""

    async def advance(self, seconds: int) -> None:
        """Move the sandbox clock ahead, running the scheduler jobs the jump passes."""

    async def wait_for_reply(
        self,
        persona: str,
        fragment: str,
        since: int,
        timeout: float,  # noqa: ASYNC109
    ) -> str:
        """Plain text of the first bot message after `since` containing `fragment`."""


@dataclass
class DemoStatus:
    """What the page shows about the demo."""

    state: str = "idle"  # idle | running | done | stopped | failed
    flow: str | None = None
    flow_title: str | None = None
    step: int = 0  # 1-based index of the step playing within the flow
    total: int = 0
    persona: str | None = None
    action: str | None = None
    argument: str | None = None
    note: str = ""
    message: str = ""
    variables: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # The values captured from the bot's replies (buyer links...) stay on the server.
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "variables"}


class DemoRunner:
    """Plays flows as one background task; `stop()` cancels it between or inside steps."""

    def __init__(
        self,
        driver: DemoDriver,
        publish: Callable[[DemoStatus], None],
        *,
        pause: float = DEFAULT_PAUSE_SECONDS,
        expect_timeout: float = DEFAULT_EXPECT_TIMEOUT,
    ) -> None:
        self._driver = driver
        self._publish = publish
        self.pause = pause
        self.expect_timeout = expect_timeout
        self.status = DemoStatus()
        self._task: asyncio.Task[None] | None = None
        # Where the previous step began in the bot's output: a WAIT step looks from there,
        # so a notification its action caused counts even if it came during the pause.
        self._previous_mark = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, flows: Sequence[DemoFlow] = FLOWS) -> None:
        if self.running:
            raise RuntimeError("the demo is already running")
        self.status = DemoStatus(state="running")
        self._previous_mark = 0
        self._task = asyncio.create_task(self._play(tuple(flows)), name="sandbox-demo")

    async def stop(self, reason: str = "stopped") -> None:
        """Stop the script (the person took over, or the sandbox resets)."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.status.state = "stopped"
        self.status.message = reason
        self._publish(self.status)

    async def wait(self) -> DemoStatus:
        """Wait for the script to finish (tests); returns the final status."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.status

    async def _play(self, flows: tuple[DemoFlow, ...]) -> None:
        status = self.status
        try:
            for flow in flows:
                status.flow, status.flow_title, status.total = (
                    flow.name,
                    flow.title,
                    len(flow.steps),
                )
                for index, step in enumerate(flow.steps, start=1):
                    await self._play_step(flow, index, step)
        except DemoFailed as error:
            status.state = "failed"
            status.message = str(error)
            log.warning("demo failed: %s", error)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # A broken step must not take the sandbox down; the page shows what went wrong.
            log.exception("demo step crashed")
            status.state = "failed"
            status.message = f"{type(error).__name__}: {error}"
        else:
            status.state = "done"
            status.message = "Demo finished — the chats are yours now."
        self._publish(status)

    async def _play_step(self, flow: DemoFlow, index: int, step: DemoStep) -> None:
        status = self.status
        argument = step.argument.format(**status.variables)
        status.step, status.persona, status.action = index, step.persona, step.action.value
        status.argument, status.note, status.message = argument, step.note, ""
        # Announce first and wait, so the page can show what is about to happen.
        self._publish(status)
        await asyncio.sleep(self.pause)
        since = self._driver.mark()
        if step.action is DemoAction.WAIT:
            since = self._previous_mark
        self._previous_mark = since
        if step.action is DemoAction.SEND:
            await self._driver.send_text(step.persona, argument)
        elif step.action is DemoAction.PRESS:
            await self._driver.press_label(step.persona, argument, self.expect_timeout)
        elif step.action is DemoAction.UPLOAD:
            sample = SAMPLE_FILES[argument]
            await self._driver.upload_file(
                step.persona, argument, sample.content, sample.mime_type, sample.kind
            )
        elif step.action is DemoAction.OPEN_LINK:
            await self._driver.open_link(argument)
        if step.expect is None:
            return
        expect = step.expect.format(**status.variables)
        try:
            if step.action is DemoAction.FAST_FORWARD:
                reply = await self._fast_forward(step, int(argument), expect, since)
            else:
                reply = await self._driver.wait_for_reply(
                    step.persona, expect, since, self.expect_timeout
                )
        except TimeoutError:
            raise DemoFailed(
                f"{flow.title}, step {index}: the bot did not answer with “{expect}”"
            ) from None
        if step.capture is not None and step.capture_as is not None:
            match = re.search(step.capture, reply)
            if match is None:
                raise DemoFailed(f"{flow.title}, step {index}: nothing matched {step.capture!r}")
            status.variables[step.capture_as] = match.group(1)

    async def _fast_forward(self, step: DemoStep, seconds: int, expect: str, since: int) -> str:
        """Jump ahead `seconds` at a time until the persona hears `expect` (TimeoutError if the
        step's jumps run out). Jumps of a day or a week keep the time of day: a message held for
        the buyer's night goes out once a later jump passes their morning."""
        for _ in range(step.repeat):
            await self._driver.advance(seconds)
            with contextlib.suppress(TimeoutError):
                return await self._driver.wait_for_reply(
                    step.persona, expect, since, FAST_FORWARD_SETTLE_SECONDS
                )
        # The last jump's messages may still be on their way through the rate-limited sender.
        return await self._driver.wait_for_reply(step.persona, expect, since, self.expect_timeout)
