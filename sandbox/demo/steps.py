"""The demo's vocabulary: what a step is, and how a flow writes one (``seller.send(...)``).

A step is one thing a persona does (``send`` a text, ``press`` a button, ``upload`` a sample
file) or waits for (``wait``: a message the bot sends on its own because of an earlier step),
with a fragment of the bot's reply that proves it worked (``expect``) and a caption for the
page (``note``). ``capture`` saves a piece of the reply (a regular expression with one group)
under ``capture_as``, for later steps' ``{name}`` placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["DemoAction", "DemoFlow", "DemoStep", "Persona"]


class DemoAction(StrEnum):
    SEND = "send"  # type a text or command
    PRESS = "press"  # press the newest inline button whose label contains the argument
    UPLOAD = "upload"  # send one of SAMPLE_FILES (argument: its name)
    WAIT = "wait"  # act not; wait for `expect`, sent since the previous step began (argument: "")


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

    def __post_init__(self) -> None:
        if self.action is DemoAction.WAIT and self.expect is None:
            raise ValueError("a WAIT step needs the reply it waits for (expect)")
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
