"""Reading an HTTP body no larger than a limit, from 17TRACK's answers and its pushes alike.

The declared length may be missing or false, so the body is counted as it arrives and reading
stops at the first chunk past the limit: an oversized body is never held in memory whole.
"""

from __future__ import annotations

from aiohttp import StreamReader

__all__ = ["read_at_most"]

CHUNK_BYTES = 64 * 1024


async def read_at_most(content: StreamReader, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
