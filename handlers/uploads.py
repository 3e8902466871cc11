"""Conversation steps that take a file (a rate card, a warehouse certificate): what a handler
hands to the app.

Reading a file a user sent is never done inside an update: downloading and parsing it would hold
the update's transaction (and SQLite's write lock) and the polling batch, so everyone would
wait. The handler checks who sent what and asks the app's `FileStepRunner` (injected as
`file_steps`) to read it once the update has committed. The runner downloads the file, reads it
in the file worker (a child process with a time and memory bound), then calls the step's
`finish` in a transaction of its own, with a responder and the user's conversation state, as if
it were the rest of the handler; a domain error there is answered like one in a handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram.fsm.context import FSMContext

from domain.errors import DomainError
from domain.unit_of_work import UnitOfWork
from handlers.responder import Responder


@dataclass(frozen=True, slots=True)
class FileUpload:
    """A file to read for a conversation step, and who sent it where."""

    job: str  # the file worker job that reads it ("rate_card", "certificate")
    file_id: str
    file_name: str
    user_id: int
    chat_id: int
    locale: str
    max_bytes: int
    too_large: DomainError  # the answer when the file is larger than that
    seconds: float  # the reading budget
    unreadable_key: str  # the message when the file cannot be read at all


@dataclass(frozen=True, slots=True)
class StepContext:
    uow: UnitOfWork
    responder: Responder
    state: FSMContext


FinishStep = Callable[[Any, StepContext], Awaitable[None]]


class FileStepRunner(Protocol):
    def start(self, upload: FileUpload, finish: FinishStep) -> None:
        """Read the file in the background, then run `finish(what was read, context)`.

        Call once the update's transaction has committed (`uow.after_commit`)."""
