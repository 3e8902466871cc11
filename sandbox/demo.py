"""The sandbox's guided demo: scripted flows played step by step in the web chat.

A flow is data — a list of ``DemoStep`` (persona, action, argument, expected reply) — so each
feature that lands appends its flow to ``FLOWS`` without touching the runner. The runner acts
through a ``DemoDriver`` (the sandbox), pauses between steps so a person can follow, checks
that the bot answered as expected, and stops at once when the person takes over.

Arguments may use ``{name}`` placeholders filled from earlier steps' ``capture`` (a regular
expression with one group, matched against the expected reply), e.g. a buyer link token the
seller received, which a later buyer step opens with ``/start {buyer_token}``, or the id of a
warehouse, whose review button ``#{warehouse_id} Shenzhen main`` a later operator step presses.

A ``WAIT`` step does nothing itself: it waits for a message the bot sends to its persona on its
own, because of what someone else did in an earlier step (an operator notified of a
submission, a seller told about the decision).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

log = logging.getLogger(__name__)

__all__ = [
    "FLOWS",
    "ORDER_NUMBER",
    "ORDER_SHIPPED",
    "SAMPLE_FILES",
    "SELLER_REGISTRATION",
    "TRACKING_NUMBER",
    "WAREHOUSE_APPROVED",
    "DemoAction",
    "DemoDriver",
    "DemoFailed",
    "DemoFlow",
    "DemoRunner",
    "DemoStep",
    "SampleFile",
]

DEFAULT_PAUSE_SECONDS = 1.4
# Replies go through the bot's rate-limited sender (about one message per second per chat),
# so a step that triggers several messages needs a generous wait.
DEFAULT_EXPECT_TIMEOUT = 20.0


class DemoAction(StrEnum):
    SEND = "send"  # type a text or command
    PRESS = "press"  # press the inline button whose label contains the argument
    UPLOAD = "upload"  # send one of SAMPLE_FILES (argument: its name)
    ADVANCE = "advance"  # fast-forward the sandbox clock (argument: seconds)
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


@dataclass(frozen=True, slots=True)
class SampleFile:
    content: bytes
    mime_type: str


def _tiny_pdf(title: str) -> bytes:
    """A valid one-page PDF with no text content: enough for a document upload."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        f"<< /Title ({title}) >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


SAMPLE_FILES: dict[str, SampleFile] = {
    "warehouse-certificate.pdf": SampleFile(
        _tiny_pdf("Warehouse certificate (sample)"), "application/pdf"
    ),
}

STORE_NAME = "Shenzhen Gadgets"
WAREHOUSE_NAME = "Shenzhen main"
WAREHOUSE_DOCUMENT = "warehouse-certificate.pdf"

SELLER_REGISTRATION = DemoFlow(
    name="seller_registration",
    title="A seller registers a store",
    steps=(
        DemoStep(
            "seller",
            DemoAction.SEND,
            "/start",
            expect="Who are you?",
            note="The seller opens the bot",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "I sell on AliExpress",
            expect="What is your store called",
            note="…and says they sell on AliExpress",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            STORE_NAME,
            expect="Which country is your business based in?",
            note="They type the store name",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "China",
            expect="Which language should I use",
            note="They pick the home country",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "English",
            expect="Please check your store details",
            note="…and the language",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Create my store",
            expect="is registered",
            note="They confirm: the store exists",
        ),
    ),
)

WAREHOUSE_APPROVED = DemoFlow(
    name="warehouse_approved",
    title="A warehouse approved by an operator",
    steps=(
        DemoStep(
            "seller",
            DemoAction.SEND,
            "/warehouses",
            expect="Your warehouses",
            note="The seller opens their warehouses",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Add a warehouse",
            expect="New warehouse",
            note="…and adds one",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Domestic warehouse",
            expect="What should this warehouse be called",
            note="A domestic warehouse, in their home country",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            WAREHOUSE_NAME,
            expect="A domestic warehouse is in your home country",
            note="They name it",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "China",
            expect="Street address",
            note="They confirm the country",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "1 Keji Road, Nanshan",
            expect="City:",
            note="The street address…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "Shenzhen",
            expect="Region, province or state",
            note="…the city…",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Skip",
            expect="Postcode",
            note="…no region (it is optional)…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "518000",
            expect="contact person",
            note="…and a Chinese six-digit postcode",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "Li Wei",
            expect="phone number",
            note="The contact person…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "+86 138 0013 8000",
            expect="What does this warehouse do?",
            note="…and their phone",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Sorting",
            expect="What does this warehouse do?",
            note="The warehouse sorts…",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Shipping",
            expect="What does this warehouse do?",
            note="…and ships",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Done",
            expect="Business licence",
            note="The bot asks for the certification documents",
        ),
        DemoStep(
            "seller",
            DemoAction.UPLOAD,
            WAREHOUSE_DOCUMENT,
            expect="All required documents are here",
            note="The seller uploads the business licence (a PDF)",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Continue",
            expect="Please check the warehouse",
            note="They check the summary…",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Submit for review",
            expect="was sent for review",
            note="…and submit it for review",
        ),
        DemoStep(
            "operator",
            DemoAction.WAIT,
            "",
            expect="Warehouse submitted for review",
            note="The operator is notified",
            capture=r"\(#(\d+)\)",
            capture_as="warehouse_id",
        ),
        DemoStep(
            "operator",
            DemoAction.SEND,
            "/review",
            expect="Review queue",
            note="The operator opens the review queue",
        ),
        DemoStep(
            "operator",
            DemoAction.PRESS,
            "#{warehouse_id} " + WAREHOUSE_NAME,
            expect="Store: " + STORE_NAME,
            note="…opens the warehouse: its documents come first",
        ),
        DemoStep(
            "operator",
            DemoAction.PRESS,
            "Approve",
            expect="The seller has been notified",
            note="…and approves it",
        ),
        DemoStep(
            "seller",
            DemoAction.WAIT,
            "",
            expect=WAREHOUSE_NAME + " is verified",
            note="The seller learns the warehouse is verified: orders can ship from it",
        ),
    ),
)

ORDER_NUMBER = "AE-1001"
TRACKING_NUMBER = "RB123456785GB"  # a valid UPU S10 number: its check digit is 5

ORDER_SHIPPED = DemoFlow(
    name="order_shipped",
    title="An order confirmed and shipped, and the buyer follows it",
    steps=(
        DemoStep(
            "seller",
            DemoAction.SEND,
            "/neworder",
            expect="marketplace order number",
            note="An order came in on AliExpress: the seller enters it",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            ORDER_NUMBER,
            expect="Which country does the order ship to",
            note="The marketplace order number…",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "United States",
            expect="postcode of the delivery address",
            note="…where it ships…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "94105",
            expect="Which currency is the order in",
            note="…the buyer's postcode…",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "USD",
            expect="the product name",
            note="…and the currency",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "Phone case",
            expect="The SKU of this product",
            note="One line: the product…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "PC-1",
            expect="How many?",
            note="…its SKU…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "2",
            expect="The unit price in USD",
            note="…the quantity…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "12.50",
            expect="Lines so far",
            note="…and the unit price: a small order, $25",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Done with lines",
            expect="By when must the order ship",
            note="That is the only line",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "+3 d",
            expect="Please check the order",
            note="It must ship within three days",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Create the order",
            expect="is saved and waits for your confirmation",
            note="They check the summary and create the order",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "/orders",
            expect="in this list",
            note="The order list shows what waits for confirmation",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            ORDER_NUMBER,
            expect="left to ship",
            note="The card counts down to the ship-by deadline",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Confirm order",
            expect="is confirmed",
            note="The seller confirms the order",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Open the order",
            expect="Confirmed, to ship",
            note="The confirmed order can now ship",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Shipping document",
            expect="Shipping document for order " + ORDER_NUMBER,
            note="They fill its shipping document",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "✅ Continue",
            expect="the declared value for customs",
            note="The whole order goes in this parcel",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Keep",
            expect="the actual weight",
            note="Declared value: the order total",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "1.2",
            expect="the outside dimensions",
            note="The parcel weighs 1.2 kg…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "30x20x10",
            expect="what is in the parcel",
            note="…and measures 30×20×10 cm",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "✅ Done",
            expect="which warehouse ships it",
            note="Nothing dangerous or fragile inside",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            WAREHOUSE_NAME,
            expect="Logistics methods compared",
            note="It ships from the verified warehouse: the bot compares the methods",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Sea freight",
            expect="which carrier",
            note="The seller picks sea freight",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            "COSCO",
            expect="the tracking number",
            note="The carrier…",
        ),
        DemoStep(
            "seller",
            DemoAction.SEND,
            TRACKING_NUMBER,
            expect="All compliance checks passed",
            note="…and the tracking number, checked digit by digit",
        ),
        DemoStep(
            "seller",
            DemoAction.PRESS,
            "Confirm and get the document",
            expect=f"Shipping document · order {ORDER_NUMBER} · {TRACKING_NUMBER}",
            note="They confirm: the printable PDF arrives",
        ),
        DemoStep(
            "seller",
            DemoAction.WAIT,
            "",
            expect="so they can follow the parcel",
            note="…with a link to send the buyer",
            capture=r"\?start=([A-Za-z0-9_-]+)",
            capture_as="buyer_token",
        ),
        DemoStep(
            "buyer",
            DemoAction.SEND,
            "/start {buyer_token}",
            expect="Tracking number: " + TRACKING_NUMBER,
            note="The buyer opens the link: the order, its status and its tracking number",
        ),
    ),
)

# Later issues append their flows here (return).
FLOWS: tuple[DemoFlow, ...] = (SELLER_REGISTRATION, WAREHOUSE_APPROVED, ORDER_SHIPPED)


class DemoFailed(Exception):
    """The bot did not answer a step the way the script expects."""


class DemoDriver(Protocol):
    """What the runner needs from the sandbox. Actions here never count as a takeover."""

    def mark(self, persona: str) -> int:
        """A position in the bot's output, for `wait_for_reply` to look after."""

    async def send_text(self, persona: str, text: str) -> object: ...

    async def press_label(self, persona: str, label: str, timeout: float) -> None:  # noqa: ASYNC109
        """Press the newest inline button whose label contains `label`, waiting for it."""

    async def upload_file(self, persona: str, name: str, content: bytes, mime: str) -> None: ...

    async def advance_clock(self, seconds: float) -> None: ...

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
        return {
            "state": self.state,
            "flow": self.flow,
            "flow_title": self.flow_title,
            "step": self.step,
            "total": self.total,
            "persona": self.persona,
            "action": self.action,
            "argument": self.argument,
            "note": self.note,
            "message": self.message,
        }


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
        since = self._driver.mark(step.persona)
        if step.action is DemoAction.WAIT:
            since = self._previous_mark
        self._previous_mark = since
        if step.action is DemoAction.SEND:
            await self._driver.send_text(step.persona, argument)
        elif step.action is DemoAction.PRESS:
            await self._driver.press_label(step.persona, argument, self.expect_timeout)
        elif step.action is DemoAction.UPLOAD:
            sample = SAMPLE_FILES[argument]
            await self._driver.upload_file(step.persona, argument, sample.content, sample.mime_type)
        elif step.action is DemoAction.ADVANCE:
            await self._driver.advance_clock(float(argument))
        if step.expect is None:
            return
        expect = step.expect.format(**status.variables)
        try:
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
