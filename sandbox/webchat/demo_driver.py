"""The guided demo's hands in the sandbox: how the demo acts as a persona and waits for the bot.

``SandboxDemoDriver`` is the ``sandbox.demo.DemoDriver`` of a ``Sandbox``. Its actions never
count as a takeover, unlike the same actions from the page, which stop the demo.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.webchat.state import Sandbox

__all__ = ["SandboxDemoDriver"]


class SandboxDemoDriver:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def mark(self) -> int:
        return len(self._sandbox.running_emulator().activity)

    async def send_text(self, persona: str, text: str) -> object:
        return await self._sandbox.send_text(persona, text)

    async def press_label(self, persona: str, label: str, timeout: float) -> None:  # noqa: ASYNC109
        emulator = self._sandbox.running_emulator()
        user = emulator.user(self._sandbox.persona(persona).user_id)
        wanted = label.casefold()

        def offered() -> bool:
            return any(
                wanted in text.casefold() for m in user.bot_messages() for text in m.button_texts
            )

        await emulator.wait_until(offered, timeout)
        await user.press(label)

    async def upload_file(
        self, persona: str, name: str, content: bytes, mime: str, kind: str
    ) -> None:
        await self._sandbox.upload(persona, name, content, mime, kind=kind)

    async def open_link(self, url: str) -> None:
        await self._sandbox.open_link(url)

    async def advance(self, seconds: int) -> None:
        await self._sandbox.advance(timedelta(seconds=seconds))

    async def wait_for_reply(
        self,
        persona: str,
        fragment: str,
        since: int,
        timeout: float,  # noqa: ASYNC109
    ) -> str:
        emulator = self._sandbox.running_emulator()
        chat_id = self._sandbox.persona(persona).user_id

        def found() -> str | None:
            for activity in emulator.activity[since:]:
                if activity.chat_id != chat_id:
                    continue
                message = activity.message
                text = message.plain if message.plain is not None else message.content
                if fragment in text or fragment in message.content:
                    return text
            return None

        await emulator.wait_until(lambda: found() is not None, timeout)
        reply = found()
        if reply is None:
            raise TimeoutError(fragment)
        return reply
