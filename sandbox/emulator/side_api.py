"""The emulator's side API: act as users and watch the chats over HTTP, under /_emulator/.

    GET  /_emulator/chats                        every chat, with its open topics
    GET  /_emulator/chats/{chat_id}/messages     a chat's history
    POST /_emulator/users                        {"id", "first_name"?, "language_code"?, "username"?}
    POST /_emulator/chats/{chat_id}/messages     {"text", "user_id"?, "thread_id"?}
    POST /_emulator/chats/{chat_id}/callbacks    {"message_id", "callback_data", "user_id"?}
    POST /_emulator/chats/{chat_id}/files        multipart: file, caption?, kind? (photo), user_id?
    GET  /_emulator/events                       server-sent events, one per EmulatorEvent

``user_id`` defaults to the chat's own user (a private chat). Whoever can call this API can act
as anyone, so the emulator's middleware (``sandbox.http_safety.EmulatorGuard``) answers only
requests that carry the per-run secret header, with JSON bodies (multipart for files), the
right Host and no cross-site browser origin.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.emulator.chats import Chat, ChatStore
from sandbox.emulator.events import EventHub
from sandbox.emulator.records import BotApiError, EmulatorEvent
from sandbox.http_safety import BadBody, read_form, read_json

if TYPE_CHECKING:
    from sandbox.users import EmulatedUser

__all__ = ["SideApi"]


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


class SideApi:
    """The /_emulator/ routes; ``create_user`` is the emulator's ``user()``."""

    def __init__(
        self, chats: ChatStore, events: EventHub, create_user: Callable[..., EmulatedUser]
    ) -> None:
        self._chats = chats
        self._events = events
        self._create_user = create_user
        self._streams: set[asyncio.Queue[EmulatorEvent | None]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/_emulator/chats", self._list_chats)
        app.router.add_get("/_emulator/chats/{chat_id}/messages", self._history)
        app.router.add_post("/_emulator/users", self._new_user)
        app.router.add_post("/_emulator/chats/{chat_id}/messages", self._post_message)
        app.router.add_post("/_emulator/chats/{chat_id}/callbacks", self._press)
        app.router.add_post("/_emulator/chats/{chat_id}/files", self._upload)
        app.router.add_get("/_emulator/events", self._event_stream)

    def close(self) -> None:
        """End every event stream (the server is stopping)."""
        for queue in list(self._streams):
            queue.put_nowait(None)

    # -- reading ------------------------------------------------------------------------------

    def _chat(self, request: web.Request) -> Chat | None:
        try:
            return self._chats.chats.get(int(request.match_info["chat_id"]))
        except ValueError:
            return None

    async def _list_chats(self, request: web.Request) -> web.StreamResponse:
        topics_enabled = self._chats.bot.topics_enabled
        return web.json_response(
            [
                {
                    "id": c.id,
                    "type": c.type,
                    "title": c.title,
                    "user": c.user,
                    "is_forum": c.is_forum or (c.type == "private" and topics_enabled),
                    "blocked": c.blocked,
                    "topics": [
                        {
                            "message_thread_id": t.message_thread_id,
                            "name": t.name,
                            "closed": t.closed,
                        }
                        for t in c.topics.values()
                        if not t.deleted
                    ],
                }
                for c in self._chats.chats.values()
            ]
        )

    async def _history(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat(request)
        if chat is None:
            return _error("unknown chat", 404)
        return web.json_response([m.to_dict() for m in chat.messages.values()])

    async def _event_stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: one JSON ``data:`` line per EmulatorEvent until shutdown."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[EmulatorEvent | None] = asyncio.Queue()
        self._streams.add(queue)
        self._events.add_listener(queue.put_nowait)
        try:
            # A comment line first, so clients see the stream is open before any change.
            await response.write(b": connected\n\n")
            while not self._events.closing:
                event = await queue.get()
                if event is None:
                    break
                payload = json.dumps(event.to_dict(), default=str)
                await response.write(f"id: {event.seq}\ndata: {payload}\n\n".encode())
        except ConnectionResetError:
            # The browser went away; nothing to clean up beyond the queue.
            pass
        finally:
            self._events.remove_listener(queue.put_nowait)
            self._streams.discard(queue)
        return response

    # -- acting as users ----------------------------------------------------------------------

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await read_json(request)
        except BadBody as error:
            raise BotApiError(error.status, error.message) from None
        if not isinstance(body, dict):
            raise BotApiError(400, "body must be a JSON object")
        return body

    def _user(self, chat: Chat, body: Mapping[str, Any]) -> EmulatedUser:
        user_id = int(body.get("user_id", chat.id))
        user = self._chats.users.get(user_id)
        if user is None:
            raise KeyError(f"unknown user {user_id}")
        return user

    async def _new_user(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._json(request)
            user = self._create_user(
                int(body["id"]),
                first_name=str(body.get("first_name", "Test User")),
                language_code=body.get("language_code", "en"),
                username=body.get("username"),
            )
        except (BotApiError, KeyError, ValueError, TypeError) as error:
            return _error(str(error))
        return web.json_response(user.to_json())

    async def _in_chat(
        self,
        request: web.Request,
        act: Callable[[Chat, dict[str, Any]], Awaitable[dict[str, Any]]],
    ) -> web.StreamResponse:
        """Act as a user in the chat the path names, with the request's JSON body; the result
        as JSON, or the error as a 400."""
        chat = self._chat(request)
        if chat is None:
            return _error("unknown chat", 404)
        try:
            result = await act(chat, await self._json(request))
        except (BotApiError, KeyError, ValueError, TypeError) as error:
            return _error(str(error))
        return web.json_response(result)

    async def _post_message(self, request: web.Request) -> web.StreamResponse:
        async def send(chat: Chat, body: dict[str, Any]) -> dict[str, Any]:
            thread = body.get("thread_id")
            msg = await self._user(chat, body).send(
                str(body["text"]),
                thread_id=int(thread) if thread is not None else None,
                chat_id=chat.id,
            )
            return msg.to_dict()

        return await self._in_chat(request, send)

    async def _press(self, request: web.Request) -> web.StreamResponse:
        async def press(chat: Chat, body: dict[str, Any]) -> dict[str, Any]:
            query_id = await self._user(chat, body).press_data(
                int(body["message_id"]), str(body["callback_data"]), chat_id=chat.id
            )
            return {"callback_query_id": query_id}

        return await self._in_chat(request, press)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat(request)
        if chat is None:
            return _error("unknown chat", 404)
        try:
            form = await read_form(request)
        except BadBody as error:
            return _error(error.message, error.status)
        upload = form.files.get("file")
        if upload is None:
            return _error("multipart field 'file' is required")
        fields = form.fields
        caption = fields.get("caption") or None
        try:
            user = self._user(chat, {"user_id": fields.get("user_id", chat.id)})
            if fields.get("kind") == "photo":
                msg = await user.upload_photo(upload.content, caption=caption, chat_id=chat.id)
            else:
                msg = await user.upload_document(
                    upload.filename,
                    upload.content,
                    upload.content_type,
                    caption=caption,
                    chat_id=chat.id,
                )
        except (KeyError, ValueError) as error:
            return _error(str(error))
        return web.json_response(msg.to_dict())
