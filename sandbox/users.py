"""A Telegram user driven from Python, for end-to-end tests and the sandbox.

``EmulatedUser`` is the test's hands and eyes in a chat with the bot: it sends texts and
commands, presses inline buttons, uploads files, and waits — on events, never with fixed
sleeps — for what the bot sends back. Create one with ``BotApiEmulator.user(...)``.

The "last action" cursor: every action (send, press, upload) remembers how much the bot had
done so far; ``wait_for_bot`` returns only bot messages sent or edited after that point and
then moves the cursor past what it returned, so consecutive waits see consecutive messages.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.emulator.core import EmulatorCore
    from sandbox.emulator.records import CallbackAnswer, ChatMessage

__all__ = ["EmulatedUser"]


@dataclass(eq=False, repr=False)
class EmulatedUser:
    """A Telegram user with a private chat with the bot (chat id == user id)."""

    emulator: EmulatorCore
    user_id: int
    _: KW_ONLY
    first_name: str
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None
    # Index into emulator.activity per chat: bot output before it has been "seen".
    _cursor: dict[int, int] = field(default_factory=dict, init=False)
    _last_query_id: str | None = field(default=None, init=False)

    @property
    def chat_id(self) -> int:
        """The private chat with the bot."""
        return self.user_id

    def to_json(self) -> dict[str, Any]:
        """The Bot API ``User`` object for this user."""
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def __repr__(self) -> str:
        return f"EmulatedUser(id={self.user_id}, first_name={self.first_name!r})"

    # -- actions ------------------------------------------------------------------------------

    def _act_in(self, chat_id: int | None) -> int:
        """The chat an action goes to (by default the private chat), the "last action" cursor
        moved to now in it."""
        target = self.chat_id if chat_id is None else chat_id
        self._cursor[target] = len(self.emulator.activity)
        return target

    async def send(
        self,
        text: str,
        thread_id: int | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        """Send a text (a leading ``/command`` gets a bot_command entity)."""
        return self.emulator.post_message(
            self.user_id,
            chat_id=self._act_in(chat_id),
            text=text,
            thread_id=thread_id,
            reply_to_message_id=reply_to,
        )

    async def edit(self, message_id: int, text: str, *, chat_id: int | None = None) -> None:
        """Edit one of this user's text messages (the bot gets ``edited_message``)."""
        self.emulator.edit_user_message(self.user_id, self._act_in(chat_id), message_id, text)

    async def delete_topic(self, thread_id: int) -> None:
        """Delete a topic of this user's private chat with the bot, as a user can."""
        self.emulator.delete_topic(self.user_id, thread_id)

    async def press(self, label: str, *, chat_id: int | None = None) -> str:
        """Press the inline button labelled ``label`` on the newest bot message offering it.

        Exact label matches win over substring matches. Returns the callback query id.
        """
        target = self.chat_id if chat_id is None else chat_id
        keyboards = [m for m in reversed(self.bot_messages(chat_id=target)) if m.buttons]
        for exact in (True, False):
            for msg in keyboards:
                for button in msg.buttons:
                    hit = (
                        button.text == label
                        if exact
                        else label.casefold() in button.text.casefold()
                    )
                    if not hit:
                        continue
                    if button.callback_data is None:
                        raise AssertionError(
                            f"button {button.text!r} in message {msg.message_id} has no "
                            f"callback_data (it is {button.raw})"
                        )
                    return await self.press_data(
                        msg.message_id, button.callback_data, chat_id=target
                    )
        available = [f"message {m.message_id}: {m.button_texts}" for m in keyboards[:5]] or [
            "(no bot message in this chat has inline buttons)"
        ]
        raise AssertionError(
            f"no inline button matching {label!r} in chat {target}; available:\n  "
            + "\n  ".join(available)
        )

    async def press_data(
        self, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """Send a callback_query for any message and data (can forge what no button offers)."""
        target = self._act_in(chat_id)
        query_id = self.emulator.post_callback(self.user_id, target, message_id, callback_data)
        self._last_query_id = query_id
        return query_id

    async def upload_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        *,
        thread_id: int | None = None,
        chat_id: int | None = None,
    ) -> ChatMessage:
        """Send a file as a document message."""
        record = self.emulator.store_file(
            content, kind="document", file_name=filename, mime_type=mime_type
        )
        target = self._act_in(chat_id)
        return self.emulator.post_message(
            self.user_id, chat_id=target, document=record, caption=caption, thread_id=thread_id
        )

    async def upload_photo(
        self,
        content: bytes,
        caption: str | None = None,
        *,
        thread_id: int | None = None,
        chat_id: int | None = None,
    ) -> ChatMessage:
        """Send a compressed photo."""
        record = self.emulator.store_file(content, kind="photo", mime_type="image/jpeg")
        target = self._act_in(chat_id)
        return self.emulator.post_message(
            self.user_id, chat_id=target, photo=record, caption=caption, thread_id=thread_id
        )

    # -- observing the bot --------------------------------------------------------------------

    # The timeout is an argument rather than asyncio.timeout() so assertions read naturally and
    # the failure message can say what the bot did instead.
    async def wait_for_bot(
        self,
        count: int = 1,
        timeout: float = 30.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> list[ChatMessage]:
        """Wait until the bot has sent or edited ``count`` messages here since the last action.

        An edit counts as one (the edited message is returned again). Fails with an
        AssertionError describing what the bot did instead.
        """
        target = self.chat_id if chat_id is None else chat_id
        start = self._cursor.get(target, 0)

        def fresh() -> list[int]:
            activity = self.emulator.activity
            return [i for i in range(start, len(activity)) if activity[i].chat_id == target]

        await self.emulator.wait_until(lambda: len(fresh()) >= count, timeout)
        indices = fresh()
        activity = self.emulator.activity
        if len(indices) < count:
            seen = [f"{activity[i].kind}: {activity[i].message.content!r}" for i in indices]
            failed = [
                f"{r.method} -> {r.status} {r.description}"
                for r in self.emulator.requests[-20:]
                if r.status != 200
            ]
            raise AssertionError(
                f"waited {timeout}s for {count} bot message(s) in chat {target}, got "
                f"{len(indices)}: {seen}; recent failed requests: {failed or 'none'}; "
                f"violations: {[str(v) for v in self.emulator.violations] or 'none'}"
            )
        taken = indices[:count]
        self._cursor[target] = taken[-1] + 1
        return [activity[i].message for i in taken]

    async def wait_for_answer(self, timeout: float = 30.0) -> CallbackAnswer:  # noqa: ASYNC109
        """Wait for the bot's answerCallbackQuery to this user's last button press."""
        query_id = self._last_query_id
        if query_id is None:
            raise AssertionError("no button was pressed yet")

        def answer() -> CallbackAnswer | None:
            return next(
                (a for a in self.emulator.callback_answers if a.callback_query_id == query_id),
                None,
            )

        await self.emulator.wait_until(lambda: answer() is not None, timeout)
        found = answer()
        if found is None:
            raise AssertionError(f"the bot did not answer callback query {query_id} in {timeout}s")
        return found

    def bot_messages(
        self, *, chat_id: int | None = None, include_deleted: bool = False
    ) -> list[ChatMessage]:
        """Messages the bot sent in the chat (service messages excluded), oldest first."""
        target = self.chat_id if chat_id is None else chat_id
        return [
            m
            for m in self.emulator.history(target)
            if m.from_bot and m.service is None and (include_deleted or not m.deleted)
        ]

    def last_bot_message(self, *, chat_id: int | None = None) -> ChatMessage | None:
        messages = self.bot_messages(chat_id=chat_id)
        return messages[-1] if messages else None

    def texts(self, *, chat_id: int | None = None) -> list[str]:
        """Current text or caption (HTML as sent) of each bot message, oldest first."""
        return [m.content for m in self.bot_messages(chat_id=chat_id)]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return [a for a in self.emulator.callback_answers if a.user_id == self.user_id]

    @property
    def answered_callbacks(self) -> list[str]:
        """Texts the bot showed this user in answer to button presses (empty if none)."""
        return [a.text or "" for a in self.callback_answers]
