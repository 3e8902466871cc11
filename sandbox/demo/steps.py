"""The demo's vocabulary: what a step is, and how a flow writes one (``seller.send(...)``).

A step is one thing a persona does (``send`` a text, ``press`` a button, ``upload`` a sample
file, ``open_link``: click a link to the bot) or waits for (``wait``: a message the bot sends
on its own because of an earlier step; ``fast_forward``: move the sandbox clock a stretch at a
time until that message comes), with a fragment of the bot's reply that proves it worked
(``expect``) and a caption for the page (``note``). ``capture`` saves a piece of the reply (a
regular expression with one group) under ``capture_as``, for later steps' ``{name}``
placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

__all__ = ["DemoAction", "DemoFlow", "DemoStep", "Persona"]


class DemoAction(StrEnum):
    SEND = "send"  # type a text or command
    PRESS = "press"  # press the newest inline button whose label contains the argument
    UPLOAD = "upload"  # send one of SAMPLE_FILES (argument: its name), as its `kind` says
    WAIT = "wait"  # act not; wait for `expect`, sent since the previous step began (argument: "")
    OPEN_LINK = "open_link"  # click a t.me start link to the bot (argument: the link)
    # Move the clock `argument` seconds at a time, at most `repeat` times, until `expect` comes.
    FAST_FORWARD = "fast_forward"


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One thing a persona does, and a fragment of the bot's reply that proves it worked."""

    persona: str
    action: DemoAction
    argument: str
    expect: str | None = None
    note: str = ""  # a short caption shown while the step plays
    capture: str | None = None  # regex with one group, saved under `capture_as`
    capture_as: str | None = None
    repeat: int = 1  # FAST_FORWARD: the most jumps before the step fails

    def __post_init__(self) -> None:
        if self.action in (DemoAction.WAIT, DemoAction.FAST_FORWARD) and self.expect is None:
            raise ValueError(f"a {self.action.name} step needs the reply it waits for (expect)")
        if self.action is DemoAction.FAST_FORWARD and not (
            self.argument.isdigit() and int(self.argument) > 0 and self.repeat >= 1
        ):
            raise ValueError("a FAST_FORWARD step moves a positive whole number of seconds")
        if (self.capture is None) != (self.capture_as is None):
            raise ValueError("capture and capture_as go together")


@dataclass(frozen=True, slots=True)
class DemoFlow:
    name: str
    title: str
    steps: tuple[DemoStep, ...]


class Persona:
    """Steps for one persona, written ``seller.send(text, expected reply, caption)``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def send(self, text: str, expect: str, note: str) -> DemoStep:
        return DemoStep(self.key, DemoAction.SEND, text, expect, note)

    def press(self, label: str, expect: str, note: str) -> DemoStep:
        return DemoStep(self.key, DemoAction.PRESS, label, expect, note)

    def upload(self, sample_file: str, expect: str, note: str) -> DemoStep:
        return DemoStep(self.key, DemoAction.UPLOAD, sample_file, expect, note)

    def wait(
        self, expect: str, note: str, *, capture: str | None = None, capture_as: str | None = None
    ) -> DemoStep:
        return DemoStep(self.key, DemoAction.WAIT, "", expect, note, capture, capture_as)

    def open_link(self, link: str, expect: str, note: str) -> DemoStep:
        return DemoStep(self.key, DemoAction.OPEN_LINK, link, expect, note)

    def fast_forward(
        self, expect: str, note: str, *, every: timedelta, at_most: timedelta
    ) -> DemoStep:
        """Jump `every` at a time, up to `at_most` in all, until this persona hears `expect`."""
        seconds = int(every.total_seconds())
        return DemoStep(
            self.key,
            DemoAction.FAST_FORWARD,
            str(seconds),
            expect,
            note,
            repeat=max(1, int(at_most.total_seconds()) // max(seconds, 1)),
        )
