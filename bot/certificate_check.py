"""The file worker's jobs for documents a person opens: a warehouse certificate (operators
open it) and a file relayed in a return case (the other side opens it). See `bot.file_worker`.

A module of its own so the child that runs it imports Pillow and the checkers, and none of the
order-file readers `bot.file_jobs` loads: such a file is checked while its sender waits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.certificate_files import check_certificate_file
from domain.returns.files import check_case_file


def certificate(emit: Callable[[Any], None], *, path: str, file_name: str) -> None:
    """Emits the format the file proved to be ("PDF", "JPG" or "PNG")."""
    emit(check_certificate_file(Path(path), file_name).value)


def case_file(emit: Callable[[Any], None], *, path: str, file_name: str) -> None:
    """Emits the format the file proved to be ("pdf", "jpg", "png" or "webp")."""
    emit(check_case_file(Path(path), file_name).value)
