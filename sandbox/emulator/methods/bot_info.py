"""The bot's own settings: getMe, the command lists and the menu button.

Commands are kept per scope and language exactly as setMyCommands set them, so a test can check
what each kind of user sees in the command menu (``commands(scope, language_code)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sandbox.emulator.chats import ChatStore
from sandbox.emulator.methods import MethodFamily, bot_api
from sandbox.emulator.params import Params, int_param, json_param
from sandbox.emulator.records import BotApiError

__all__ = ["BotInfoMethods"]

COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class BotInfoMethods(MethodFamily):
    def __init__(self, chats: ChatStore) -> None:
        self._chats = chats
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}

    def commands(self, scope: Mapping[str, Any] | None, language_code: str) -> list[dict[str, str]]:
        """Commands set with setMyCommands for exactly this scope and language."""
        return list(self._commands.get((_scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None) -> dict[str, Any] | None:
        return self._menu_buttons.get(chat_id)

    @bot_api("getMe")
    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self._chats.bot.to_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": self._chats.bot.topics_enabled,
        }

    @bot_api("setMyCommands")
    async def set_my_commands(self, params: Params) -> bool:
        commands = json_param(params, "commands")
        assert isinstance(commands, list)
        if len(commands) > 100:
            raise BotApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not COMMAND_RE.fullmatch(command["command"]):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise BotApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params)
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        self._chats.events.emit("commands", None, None, {"scope": key[0], "language_code": key[1]})
        return True

    @bot_api("getMyCommands")
    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return list(self._commands.get(_commands_key(params), []))

    @bot_api("deleteMyCommands")
    async def delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(_commands_key(params), None)
        return True

    @bot_api("setChatMenuButton")
    async def set_chat_menu_button(self, params: Params) -> bool:
        chat_id = int_param(params, "chat_id")
        if chat_id is not None:
            self._chats.resolve(chat_id)
        button = json_param(params, "menu_button")
        self._menu_buttons[chat_id] = button if isinstance(button, dict) else {"type": "default"}
        return True

    @bot_api("getChatMenuButton")
    async def get_chat_menu_button(self, params: Params) -> dict[str, Any]:
        chat_id = int_param(params, "chat_id")
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return button or {"type": "commands"}


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, Mapping) or scope.get("type", "default") == "default":
        return '{"type":"default"}'
    return json.dumps(dict(scope), sort_keys=True, separators=(",", ":"))


def _commands_key(params: Params) -> tuple[str, str]:
    """Where setMyCommands keeps a list: its scope and its language."""
    return _scope_key(json_param(params, "scope")), str(params.get("language_code") or "")
