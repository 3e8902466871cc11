"""A fake Telegram Bot API server for end-to-end tests and the local sandbox.

``BotApiEmulator`` is an aiohttp server on loopback that speaks enough of the Bot API for the
real bot (aiogram pointed at it with ``TelegramAPIServer.from_base(emulator.base_url)``) to run
unchanged. It is deliberately stricter than Telegram where strictness finds bugs:

* every request is checked against the official spec (``sandbox.spec``); a request Telegram
  would reject *or silently ignore* (an unknown parameter) is answered with 400 and recorded in
  ``violations`` so the test fixture can fail the test;
* Telegram HTML is parsed like Telegram does, so a stray ``<`` or an unsupported tag is a 400;
* the flood limits are enforced (429 with ``retry_after``) and faults can be injected.

The user side (``emulator.user(...)`` -> ``EmulatedUser``) creates updates with the shapes
Telegram sends, and the same operations are exposed over HTTP under ``/_emulator/`` together with
a server-sent-events stream, so a web chat can be built on top of the same emulator. That side
API lets its caller act as anyone, so it asks for the per-run ``side_api_secret`` in the
``X-Emulator-Secret`` header (``side_api_headers``); see ``sandbox.http_safety``.

Where things live:

- ``server``: ``BotApiEmulator``, the HTTP server; ``core``: the parts wired together, the
  answer to one Bot API call, and the API tests use
- ``methods/``: the Bot API methods by family (updates, sending, editing, callbacks, chat and
  topics, files, bot info); ``webhook``: delivering updates to a webhook, with retries
- ``telegram_html``: Telegram HTML, parsed and checked as Telegram does
- ``chats``, ``files``: the chat state and the file store; ``events``: listeners and waiting
- ``user_actions``: what users do, as updates for the bot
- ``limits``: flood limits and injected faults; ``request_log``: requests and violations
- ``side_api``: the ``/_emulator/`` routes; ``params``: reading request parameters
- ``records``: what tests, the web chat and the chat log read back

Every public name is importable from ``sandbox.emulator`` itself.
"""

from sandbox.emulator.core import DEFAULT_TOKEN
from sandbox.emulator.records import (
    BotActivity,
    BotApiError,
    CallbackAnswer,
    ChatMessage,
    EmulatorEvent,
    EmulatorStats,
    FileRecord,
    InlineButton,
    RequestRecord,
    Revision,
    SavedChat,
    SavedChats,
    Topic,
    Violation,
    WebhookAttempt,
)
from sandbox.emulator.server import BotApiEmulator
from sandbox.emulator.telegram_html import HtmlParseError, parse_telegram_html

__all__ = [
    "DEFAULT_TOKEN",
    "BotActivity",
    "BotApiEmulator",
    "BotApiError",
    "CallbackAnswer",
    "ChatMessage",
    "EmulatorEvent",
    "EmulatorStats",
    "FileRecord",
    "HtmlParseError",
    "InlineButton",
    "RequestRecord",
    "Revision",
    "SavedChat",
    "SavedChats",
    "Topic",
    "Violation",
    "WebhookAttempt",
    "parse_telegram_html",
]
