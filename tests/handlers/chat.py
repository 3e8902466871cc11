"""A user's private chat with the bot, driven through the dispatcher (no HTTP, no sleeps).

`HandlerBot` builds the real application on one database and state storage and can build it
again on the same ones (a restart). `Chat` sends texts, files and button presses as real
`Update`s and returns what the bot answered to that one update (`Answer`): its messages with
their buttons (new ones, and earlier ones it edited), its pop-ups and documents, and the
answer to a file the update handed to the file worker. Buttons are pressed by their visible label, read
from the keyboards the bot sent, so the tests never build callback data themselves.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
)
from aiogram.types import (
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    Update,
    User,
)
from aiogram.types import Chat as TelegramChat

from bot.app import Application, create_application
from bot.settings import Settings
from domain.clock import Clock
from domain.unit_of_work import UnitOfWork
from handlers import button_stamps
from tests.fixtures import certificates
from tests.handlers.recording import RecordingSession

# Update, message and file ids are unique across every chat and restart of a test run, as
# Telegram's are; a repeated update id would be skipped as a redelivery.
_ids = itertools.count(1)


class HandlerBot:
    """The application on one database (and state storage); `restart` builds a new one on them."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._app: Application | None = None

    @property
    def app(self) -> Application:
        assert self._app is not None, "the bot is not running"
        return self._app

    async def start(self) -> Application:
        app = await create_application(
            self.settings, token="123456:HANDLER-TESTS", clock=self.clock, migrate=False
        )
        await app.bot.session.close()
        app.bot.session = RecordingSession()
        app.sender.bot = app.bot
        self._app = app
        return app

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.stop()
            self._app = None

    async def restart(self) -> Application:
        """A new process: a new dispatcher, storage client and engine on the same data."""
        await self.stop()
        return await self.start()

    @property
    def session(self) -> RecordingSession:
        session = self.app.bot.session
        assert isinstance(session, RecordingSession)
        return session

    def uow(self) -> UnitOfWork:
        return self.app.uow_factory()

    def text(self, template: str, locale: str = "en", /, **params: Any) -> str:
        """What the bot says with `template` (the exact HTML a user receives)."""
        return self.app.renderer.render(template, locale, **params)

    def plain(self, template: str, locale: str = "en", /, **params: Any) -> str:
        """What a pop-up with `template` says."""
        return self.app.renderer.render_plain(template, locale, **params)

    def label(self, key: str, locale: str = "en", /, **params: Any) -> str:
        return self.app.renderer.label(key, locale, **params)


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as the chat shows it."""

    message_id: int
    text: str
    keyboard: list[list[InlineKeyboardButton]]

    @property
    def labels(self) -> list[str]:
        return [button.text for row in self.keyboard for button in row]

    def data_of(self, label: str) -> str:
        """The callback data of this message's one button whose label contains `label`."""
        (data,) = [b.callback_data for row in self.keyboard for b in row if label in b.text]
        assert data is not None, f"{label!r} is a link, not a button"
        return data


@dataclass
class Answer:
    """Everything the bot did in reply to one update."""

    # The new messages the bot sent.
    messages: list[BotMessage] = field(default_factory=list)
    # Earlier messages whose text the bot replaced (a question asked again after a toggle), as
    # they read now.
    edited: list[BotMessage] = field(default_factory=list)
    popups: list[AnswerCallbackQuery] = field(default_factory=list)
    documents: list[SendDocument] = field(default_factory=list)
    # Photos and videos sent by file id (a case's evidence).
    media: list[SendPhoto | SendVideo] = field(default_factory=list)
    # The messages whose buttons were taken off (a prompt answered, or refused as stale).
    unbuttoned: list[int] = field(default_factory=list)
    # New and edited messages, in the order the bot sent them.
    shown: list[BotMessage] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        """The texts of the new messages."""
        return [message.text for message in self.messages]

    @property
    def text(self) -> str:
        """Everything the update made the chat read, new and edited."""
        return "\n\n".join(message.text for message in self.shown)

    @property
    def last(self) -> BotMessage:
        """The message the bot sent or edited last: what the user reads now."""
        assert self.shown, "the bot sent or edited no message"
        return self.shown[-1]

    @property
    def labels(self) -> list[str]:
        """The buttons offered with the last message."""
        return self.last.labels

    @property
    def alert(self) -> str | None:
        """The text of the pop-up shown for a button press, if any."""
        texts = [popup.text for popup in self.popups if popup.text]
        assert len(texts) <= 1, texts
        return texts[0] if texts else None

    def says(self, fragment: str) -> bool:
        return fragment in self.text

    def assert_says(self, *fragments: str) -> None:
        missing = [fragment for fragment in fragments if fragment not in self.text]
        assert not missing, f"{missing} not in {self.text!r}"


@dataclass(frozen=True)
class Press:
    """A button press in a scripted story (`Chat.play`); a plain string is typed."""

    label: str


# One step of a conversation: its name, and giving it a right answer (the bot's reply).
Step = tuple[str, Callable[["Chat"], Awaitable[Answer]]]
# The text a user types where a button is expected: refused with a pointer to the buttons.
TYPED_AT_A_BUTTON = "ok"


@dataclass(frozen=True)
class Refusal:
    """A wrong answer typed at one step of a conversation, and the message refusing it
    (`key` None: the step expects a button, and says so)."""

    step: str
    answer: str = TYPED_AT_A_BUTTON
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


async def assert_every_step_refuses(
    chat: Chat,
    opening: Answer,
    steps: list[Step],
    refusals: list[Refusal],
    *,
    resumable: bool = True,
) -> Answer:
    """Go through a conversation once from its first question (`opening`). At each step its
    wrong answers come first: each is refused with exactly its message, and the step stays
    (when the conversation is `resumable`, /start asks the very same question again; either
    way the right answer is then taken as an answer to this step, which the next step's
    refusals check). The whole table costs one pass instead of one walk per wrong answer."""
    unknown = {r.step for r in refusals} - {name for name, _ in steps}
    assert not unknown, f"no such steps: {unknown}"
    prompt = opening
    for name, answer_right in steps:
        for refusal in (r for r in refusals if r.step == name):
            refused = await chat.send(refusal.answer)
            if refusal.key is None:
                expected = [chat.bot.text("conversation.use_buttons"), prompt.last.text]
            else:
                expected = [chat.bot.text(refusal.key, **refusal.params)]
            assert refused.texts == expected, f"at {name}, {refusal.answer!r}"
            if resumable:
                await chat.assert_still_asks(prompt.last)
        prompt = await answer_right(chat)
    return prompt


class Chat:
    """One Telegram user's private chat with the bot."""

    def __init__(
        self, bot: HandlerBot, user_id: int, *, first_name: str = "Li", language: str = "en"
    ) -> None:
        self.bot = bot
        self.user = User(id=user_id, is_bot=False, first_name=first_name, language_code=language)
        self.chat = TelegramChat(id=user_id, type="private")
        # What the bot sent to this chat so far, newest last (buttons are pressed from here).
        self.history: list[BotMessage] = []
        # Whether an update's answer includes the answer to a file it handed to the file
        # worker; off, a test can act while the file is still being read.
        self.wait_for_files = True

    # ----- what a user does -----
    async def send(self, text: str, *, thread_id: int | None = None) -> Answer:
        """Type `text` (in the private-chat topic `thread_id`, if given)."""
        entities = None
        if text.startswith("/"):
            command = text.split()[0]
            entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
        topic = (
            {} if thread_id is None else {"message_thread_id": thread_id, "is_topic_message": True}
        )
        return await self._feed(message=self._message(text=text, entities=entities, **topic))

    async def press(self, label: str) -> Answer:
        """Press the button labelled `label` (exactly, else the one label containing it) on the
        newest bot message that offers it."""
        message, button = self._find_button(label)
        assert button.callback_data is not None, f"{button.text!r} is a link, not a button"
        return await self.press_data(message.message_id, button.callback_data)

    async def toggle_in_place(self, prompt: BotMessage, *labels: str) -> BotMessage:
        """Press each of `labels` on `prompt` (a multi-select): each press must change that very
        message and send none. The prompt as it reads after the last press."""
        for label in labels:
            toggled = await self.press(label)
            assert toggled.texts == [], f"{label!r} sent new messages"
            assert [m.message_id for m in toggled.edited] == [prompt.message_id], label
            prompt = toggled.edited[0]
        return prompt

    async def play(self, *moves: str | Press) -> Answer:
        """Type or press each move in turn; the answer to the last one."""
        answer = Answer()
        for move in moves:
            answer = await (self.press(move.label) if isinstance(move, Press) else self.send(move))
        return answer

    async def press_data(self, message_id: int, data: str) -> Answer:
        """Press a button of an earlier message (e.g. one the chat still shows, gone stale)."""
        shown = Message(message_id=message_id, date=0, chat=self.chat, text="…")
        query = CallbackQuery(
            id=str(next(_ids)),
            from_user=self.user,
            chat_instance=str(self.chat.id),
            message=shown,
            data=data,
        )
        return await self._feed(callback_query=query)

    async def press_forged(self, message_id: int, data: str) -> Answer:
        """Press callback data made by hand, carrying the stamp of the conversation's newest
        prompt (`handlers.button_stamps`): a forger copies it from the buttons they see, so
        the forgery gets past the engine's check of which prompt a button is on and reaches
        the service's own checks of its ids."""
        return await self.press_data(message_id, button_stamps.stamped(data, self.newest_stamp()))

    def newest_stamp(self) -> str:
        """The stamp on the buttons of the newest bot message that has stamped buttons."""
        for message in reversed(self.history):
            for row in message.keyboard:
                for button in row:
                    stamp = button_stamps.split(button.callback_data or "")[1]
                    if stamp is not None:
                        return stamp
        raise AssertionError("no stamped button in the chat")

    async def send_document(
        self,
        file_name: str,
        mime_type: str,
        size: int | None = None,
        *,
        content: bytes | None = None,
    ) -> Answer:
        """Send a file; the bot can download `content` (Telegram states its size, or `size`)."""
        file_id = f"doc-{next(_ids)}"
        if content is not None:
            self.bot.session.files[file_id] = content
        if size is None:
            size = 50_000 if content is None else len(content)
        document = Document(
            file_id=file_id,
            file_unique_id=f"u{file_id}",
            file_name=file_name,
            mime_type=mime_type,
            file_size=size,
        )
        return await self._feed(message=self._message(document=document))

    async def send_certificate(self, file_name: str) -> Answer:
        """Send a real PDF, JPG or PNG named `file_name` (its type follows the extension)."""
        mime_type, content = certificates.real_file(file_name)
        return await self.send_document(file_name, mime_type, content=content)

    async def send_photo(self, size: int = 80_000) -> Answer:
        file_id = next(_ids)
        photo = PhotoSize(
            file_id=f"photo-{file_id}",
            file_unique_id=f"uphoto-{file_id}",
            width=1280,
            height=960,
            file_size=size,
        )
        return await self._feed(message=self._message(photo=[photo]))

    # ----- what the chat shows -----
    def offered(self) -> list[str]:
        """The buttons of the newest bot message that has any."""
        for message in reversed(self.history):
            if message.keyboard:
                return message.labels
        return []

    def messages_saying(self, fragment: str) -> list[BotMessage]:
        """The bot's messages in the chat, as they read now, that contain `fragment`."""
        return [message for message in self.history if fragment in message.text]

    async def assert_typing_is_refused(self, prompt: BotMessage) -> None:
        """Where a button is expected, text is answered with a pointer to the buttons and
        the same question again."""
        refused = await self.send("ok")
        assert refused.texts == [self.bot.text("conversation.use_buttons"), prompt.text]
        assert refused.labels == prompt.labels

    async def assert_still_asks(self, prompt: BotMessage) -> None:
        """The conversation did not move: /start resumes it at the very same question."""
        resumed = await self.send("/start")
        assert resumed.texts == [self.bot.text("conversation.resumed"), prompt.text]
        assert resumed.labels == prompt.labels

    # ----- plumbing -----
    def _message(self, **content: Any) -> Message:
        return Message(
            message_id=next(_ids), date=0, chat=self.chat, from_user=self.user, **content
        )

    async def _feed(self, **content: Any) -> Answer:
        app = self.bot.app
        session = self.bot.session
        mark = len(session.requests)
        await app.dispatcher.feed_update(app.bot, Update(update_id=next(_ids), **content))
        # A file a conversation step reads is answered from the background, after the commit;
        # it belongs to this update's answer all the same.
        if self.wait_for_files:
            await app.file_steps.wait()
        await app.replies.drain()
        answer = Answer()
        for method, result in session.exchanges[mark:]:
            if isinstance(method, SendMessage) and int(method.chat_id) == self.chat.id:
                markup = method.reply_markup
                keyboard = (
                    markup.inline_keyboard if isinstance(markup, InlineKeyboardMarkup) else []
                )
                answer.messages.append(BotMessage(result.message_id, method.text, keyboard))
                answer.shown.append(answer.messages[-1])
            elif (
                isinstance(method, EditMessageText)
                and isinstance(result, Message)
                and int(method.chat_id or 0) == self.chat.id
            ):
                markup = method.reply_markup
                keyboard = markup.inline_keyboard if markup is not None else []
                answer.edited.append(BotMessage(result.message_id, method.text, keyboard))
                answer.shown.append(answer.edited[-1])
            elif isinstance(method, AnswerCallbackQuery):
                answer.popups.append(method)
            elif isinstance(method, SendDocument):
                answer.documents.append(method)
            elif isinstance(method, SendPhoto | SendVideo):
                answer.media.append(method)
            elif (
                isinstance(method, EditMessageReplyMarkup)
                and method.reply_markup is None
                and method.message_id is not None
                and int(method.chat_id or 0) == self.chat.id
            ):
                answer.unbuttoned.append(method.message_id)
        for edited in answer.edited:
            self.history = [
                edited if m.message_id == edited.message_id else m for m in self.history
            ]
        self.history.extend(answer.messages)
        return answer

    def _find_button(self, label: str) -> tuple[BotMessage, InlineKeyboardButton]:
        for message in reversed(self.history):
            buttons = [button for row in message.keyboard for button in row]
            found = (
                [b for b in buttons if b.text == label]
                or [b for b in buttons if _words(b.text) == _words(label)]
                or [b for b in buttons if _words(label) in _words(b.text)]
            )
            if len(found) > 1:
                raise AssertionError(f"{label!r} names several buttons: {message.labels}")
            if found:
                return message, found[0]
        raise AssertionError(f"no button {label!r}; the chat offers {self.offered()}")


def _words(label: str) -> str:
    """A label as read aloud: without the emoji in front, case-insensitive."""
    return label.lstrip(_DECORATION).casefold()


# Emoji, flags and the variation selector that buttons start with.
_DECORATION = (
    "".join(
        chr(c) for c in [*range(0x2190, 0x2C00), *range(0xFE00, 0xFE10), *range(0x1F000, 0x1FB00)]
    )
    + " "
)


def copy_database(template: Path, target: Path) -> str:
    """A private copy of a migrated SQLite database; its URL."""
    target.write_bytes(template.read_bytes())
    return f"sqlite+aiosqlite:///{target}"
