"""The file worker's job for a warehouse certificate (see `bot.file_worker`).

A module of its own so the child that runs it imports Pillow and the checker, and none of the
order-file readers `bot.file_jobs` loads: a certificate is checked while the seller waits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.certificate_files import check_certificate_file


def certificate(emit: Callable[[Any], None], *, path: str, file_name: str) -> None:
    """Emits the format the file proved to be ("PDF", "JPG" or "PNG")."""
    emit(check_certificate_file(Path(path), file_name).value)
