"""The sandbox's web chat: the real bot against the Bot API emulator, in a browser.

- ``state``: ``Sandbox``, the emulator, the bot, the clock, the demo and the saved chats,
  started, reset and driven as one; ``sandbox_settings``
- ``server``: ``WebChatServer``, the page and its JSON API on one origin; ``open_sandbox``
- ``feed``: the events the open pages receive; ``personas``: seller, buyer, operator
- ``clock``: the clock that can be fast-forwarded; ``demo_driver``: how the demo acts
- ``static/``: the page (HTML, JavaScript, CSS), shipped in the package
"""

from sandbox.webchat.clock import SandboxClock
from sandbox.webchat.personas import BUYER, OPERATOR, PERSONAS, SELLER, Persona
from sandbox.webchat.server import CLIENT_HEADER, MAX_UPLOAD_BYTES, WebChatServer, open_sandbox
from sandbox.webchat.state import BOT_USERNAME, Sandbox, SandboxUnavailable, sandbox_settings

__all__ = [
    "BOT_USERNAME",
    "BUYER",
    "CLIENT_HEADER",
    "MAX_UPLOAD_BYTES",
    "OPERATOR",
    "PERSONAS",
    "SELLER",
    "Persona",
    "Sandbox",
    "SandboxClock",
    "SandboxUnavailable",
    "WebChatServer",
    "open_sandbox",
    "sandbox_settings",
]
