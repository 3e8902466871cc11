"""Outgoing-message rate limits, enforced before Telegram has to enforce them.

Three buckets apply to every send: a global rate (messages per second for the whole bot), a
minimum interval between two messages to the same chat, and, for groups (negative chat ids),
a sliding window of N messages per minute. `acquire(chat_id)` waits until a send is allowed
under all of them and reserves it; `answered(chat_id)` counts the chat's interval again from
Telegram's answer (Telegram spaces requests by arrival, and a slow request must not let the
next one land too close); `pause_chat`/`pause_global` honour a 429's `retry_after`.

Two implementations share the `RateLimiter` protocol: `InProcessRateLimiter` (one process) and
`RedisRateLimiter` (several processes share the buckets through an atomic Lua script).

The algorithm is the same in both. A chat first waits until *its* buckets allow a send now; only
then does it take the next global slot and push its own next-allowed time past that slot. Taking
the global slot last means a chat with a long queue never holds global capacity it cannot use
yet (no head-of-line blocking), and measuring the chat interval from the global slot keeps the
per-chat spacing true even when the global bucket delays a send.

A send that wakes up late for its slot (the event loop or the process was held up) goes only
if it is at most `LATE_TOLERANCE` global intervals late; otherwise its slot is void and it takes
a new one (`RedisRateLimiter` checks it in its confirm script, which also gives the chat back the
interval the void slot took). Without this,
every send whose slot passed during a one-second stall would go at once when the process
resumes, a burst above Telegram's 30 a second (429s), however well the slots were spaced.

Interactive replies go before fan-out. A `bulk` send (the outbox: tracking updates, alerts,
reminders) takes a global slot only when the global bucket is free within one interval, one
bulk sender at a time; an interactive reply reserves the next slot straight away. So a fan-out
of thousands never queues ahead of a user waiting for an answer — the reply waits at most about
one bulk slot — while fan-out still uses every slot nobody else wants.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

from notifications.keyed_locks import KeyedLocks

MonotonicClock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# How late (in global intervals) a send may still use its slot; later ones take a new slot.
# Two: at 25/s at most a few sends bunch, well inside the head-room below Telegram's 30/s.
LATE_TOLERANCE = 2.0


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's documented limits, with head-room; built from the settings by the caller."""

    global_per_second: float = 25.0
    # Applies to every chat: Telegram asks for at most one message per second in any chat.
    chat_interval: float = 1.0
    group_per_window: int = 20
    group_window: float = 60.0
    # Bulk sends as Telegram's paid broadcasts (`allow_paid_broadcast`): their own global
    # budget, up to 1,000 a second, instead of a share of the free one. None: off.
    paid_broadcast_per_second: float | None = None

    def __post_init__(self) -> None:
        if self.global_per_second <= 0:
            raise ValueError("global_per_second must be positive")
        paid = self.paid_broadcast_per_second
        if paid is not None and not 0 < paid <= 1000:
            raise ValueError("paid_broadcast_per_second must be in (0, 1000]")
        if self.chat_interval < 0 or self.group_window <= 0 or self.group_per_window < 1:
            raise ValueError("chat_interval, group_window and group_per_window must be sane")

    @property
    def global_interval(self) -> float:
        return 1.0 / self.global_per_second

    @property
    def paid_interval(self) -> float | None:
        paid = self.paid_broadcast_per_second
        return None if paid is None else 1.0 / paid


def is_group_chat(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; users have positive ones."""
    return chat_id < 0


class RateLimiter(Protocol):
    """What the sender needs from a rate limiter."""

    async def acquire(self, chat_id: int | None, *, bulk: bool = False) -> None:
        """Wait until a send to `chat_id` (None: not chat-specific) is allowed, and reserve it.

        `bulk`: a send nobody is waiting for, served after interactive ones.
        """

    async def answered(self, chat_id: int) -> None:
        """Telegram answered a send to `chat_id`: its next send waits the chat interval from
        now. Telegram counts the interval between the requests it *receives*; a request can
        be slow to arrive (a busy event loop, the network) and the next one quick, so spacing
        them only where they leave would let two arrive closer than the interval (a 429)."""

    async def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Let nothing go to `chat_id` for `seconds` (Telegram's `retry_after` for that chat)."""

    async def pause_global(self, seconds: float) -> None:
        """Let nothing go anywhere for `seconds`."""


@dataclass(slots=True)
class _ChatBucket:
    next_free: float = 0.0
    paused_until: float = 0.0
    # Reserved send times of the last `group_per_window` messages (groups only).
    recent: deque[float] = field(default_factory=deque)
    # One waiter per chat at a time; asyncio.Lock is FIFO, which makes a chat's sends fair.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class InProcessRateLimiter:
    """Buckets in this process's memory. Waiting is `sleep` until the reserved time, never polling."""

    # How often idle chat buckets are swept out, in acquisitions.
    _SWEEP_EVERY = 1024

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._sleep = sleep
        self._global_next = 0.0
        self._paid_next = 0.0
        self._global_paused_until = 0.0
        self._chats: dict[int, _ChatBucket] = {}
        self._since_sweep = 0
        # Bulk sends wait for a free global slot one at a time (FIFO).
        self._bulk_gate = asyncio.Lock()

    async def acquire(self, chat_id: int | None, *, bulk: bool = False) -> None:
        if chat_id is None:
            await self._acquire_global()
            return
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _ChatBucket()
        bucket.users += 1
        try:
            async with bucket.lock:
                await self._acquire_chat(chat_id, bucket, bulk)
        finally:
            bucket.users -= 1
            self._maybe_sweep()

    async def answered(self, chat_id: int) -> None:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _ChatBucket()
        bucket.next_free = max(bucket.next_free, self._clock() + self.limits.chat_interval)

    async def pause_chat(self, chat_id: int, seconds: float) -> None:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _ChatBucket()
        bucket.paused_until = max(bucket.paused_until, self._clock() + seconds)

    async def pause_global(self, seconds: float) -> None:
        self._global_paused_until = max(self._global_paused_until, self._clock() + seconds)

    async def _acquire_global(self) -> None:
        while True:
            now = self._clock()
            slot = self._reserve_global(now)
            if slot > now:
                await self._sleep(slot - now)
            now = self._clock()
            # A 429 may have paused everything while we slept; then our slot is void. So is a
            # slot we woke up too late for (see LATE_TOLERANCE).
            if now >= self._global_paused_until and not self._too_late(slot, now):
                return

    async def _acquire_chat(self, chat_id: int, bucket: _ChatBucket, bulk: bool) -> None:
        limits = self.limits
        group = is_group_chat(chat_id)
        while True:
            now = self._clock()
            ready = max(now, bucket.next_free, bucket.paused_until)
            if group:
                while bucket.recent and bucket.recent[0] <= now - limits.group_window:
                    bucket.recent.popleft()
                if len(bucket.recent) >= limits.group_per_window:
                    ready = max(
                        ready, bucket.recent[-limits.group_per_window] + limits.group_window
                    )
            if ready > now:
                await self._sleep(ready - now)
                continue
            if bulk and limits.paid_interval is not None:
                slot = self._reserve_paid(now, limits.paid_interval)
            else:
                slot = await self._take_bulk_slot() if bulk else self._reserve_global(now)
            chat_free_before = bucket.next_free
            bucket.next_free = slot + limits.chat_interval
            if group:
                bucket.recent.append(slot)
            now = self._clock()
            if slot > now:
                await self._sleep(slot - now)
            now = self._clock()
            if self._too_late(slot, now):
                # Woke up long after the slot: it is void, and it must not count against the
                # chat either (the chat sent nothing); take a fresh one.
                bucket.next_free = chat_free_before
                if group:
                    bucket.recent.remove(slot)
                continue
            if now >= bucket.paused_until and now >= self._global_paused_until:
                # Count the interval from when we really go: if the event loop woke us late,
                # the chat's next message must not be squeezed closer to this one.
                bucket.next_free = max(bucket.next_free, now + limits.chat_interval)
                return
            # Paused while waiting for the global slot: go round again and wait out the pause.

    async def _take_bulk_slot(self) -> float:
        """A global slot no more than one interval ahead, after every interactive reservation."""
        async with self._bulk_gate:
            while True:
                now = self._clock()
                free_at = max(self._global_next, self._global_paused_until)
                ahead = free_at - now - self.limits.global_interval
                # A tolerance: float rounding must not turn "now" into an endless tiny sleep.
                if ahead <= 1e-9:
                    return self._reserve_global(now)
                await self._sleep(ahead)

    def _too_late(self, slot: float, now: float) -> bool:
        return now - slot > LATE_TOLERANCE * self.limits.global_interval

    def _reserve_paid(self, now: float, interval: float) -> float:
        """A slot in the paid broadcasts' own budget (a 429 still pauses everything)."""
        slot = max(now, self._paid_next, self._global_paused_until)
        self._paid_next = slot + interval
        return slot

    def _reserve_global(self, now: float) -> float:
        slot = max(now, self._global_next, self._global_paused_until)
        self._global_next = slot + self.limits.global_interval
        return slot

    def _maybe_sweep(self) -> None:
        self._since_sweep += 1
        if self._since_sweep < self._SWEEP_EVERY:
            return
        self._since_sweep = 0
        now = self._clock()
        window = self.limits.group_window
        idle = [
            chat_id
            for chat_id, bucket in self._chats.items()
            if bucket.users == 0
            and bucket.next_free <= now
            and bucket.paused_until <= now
            and (not bucket.recent or bucket.recent[-1] <= now - window)
        ]
        for chat_id in idle:
            del self._chats[chat_id]


# Times are integer microseconds of the Redis server's clock, so every process agrees on "now"
# and no float precision is lost (string.format('%d') keeps all digits, unlike tostring).
#
# KEYS: 1 global next-free, 2 global pause-until, [3 chat next-free, 4 chat pause-until,
#       5 chat window (sorted set of reserved send times; groups only)]
# ARGV: 1 global interval us, 2 chat interval us, 3 window limit (0 = not a group), 4 window us,
#       5 bulk look-ahead us (-1: interactive, reserve at once)
# Returns {1, delay_us} when a slot was reserved (send after delay_us), {0, delay_us} when the
# chat is not ready yet, {2, delay_us} when a bulk send must let interactive ones go first (call
# again after delay_us either way).
_ACQUIRE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local function read(key)
  return tonumber(redis.call('GET', key) or '0')
end
local function store(key, value)
  local ttl_ms = math.floor((value - now) / 1000) + 1000
  redis.call('SET', key, string.format('%d', value), 'PX', ttl_ms)
end
local ready = now
local has_chat = #KEYS >= 3
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
if has_chat then
  ready = math.max(ready, read(KEYS[3]), read(KEYS[4]))
  if limit > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - window)
    local count = redis.call('ZCARD', KEYS[5])
    if count >= limit then
      local edge = redis.call('ZRANGE', KEYS[5], count - limit, count - limit, 'WITHSCORES')
      ready = math.max(ready, tonumber(edge[2]) + window)
    end
  end
end
if ready > now then
  return {0, ready - now}
end
local slot = math.max(now, read(KEYS[1]), read(KEYS[2]))
local lookahead = tonumber(ARGV[5])
if lookahead >= 0 and slot > now + lookahead then
  return {2, slot - now - lookahead}
end
store(KEYS[1], slot + tonumber(ARGV[1]))
local chat_before = 0
if has_chat then
  chat_before = read(KEYS[3])
  store(KEYS[3], slot + tonumber(ARGV[2]))
  if limit > 0 then
    local member = string.format('%d', slot)
    redis.call('ZADD', KEYS[5], member, member)
    redis.call('PEXPIRE', KEYS[5], math.floor((slot + window - now) / 1000) + 1000)
  end
end
return {1, slot - now, slot, chat_before}
"""

# KEYS: 1 pause-until key. ARGV: 1 pause length us. Only ever extends a pause.
_PAUSE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local until_us = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_us > current then
  local ttl_ms = math.floor(tonumber(ARGV[1]) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%d', until_us), 'PX', ttl_ms)
end
return 1
"""

# After sleeping towards a reserved slot. KEYS: 1 global pause-until, [2 chat pause-until,
# 3 chat next-free, 4 chat window]; ARGV: 1 chat interval us, 2 the slot us, 3 how late the
# slot may still be used us, 4 the chat's next-free before the reservation us.
# Returns -1 when we woke up too late for the slot: it is void, and the chat's next-free time
# and window entry it took are given back (unless a later send moved them); else the longest
# remaining pause in us; when there is none, the chat's next-free time is counted from now.
_CONFIRM_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local slot = tonumber(ARGV[2])
if now - slot > tonumber(ARGV[3]) then
  if #KEYS >= 3 then
    local taken = string.format('%d', slot + tonumber(ARGV[1]))
    if redis.call('GET', KEYS[3]) == taken then
      local before = tonumber(ARGV[4])
      if before > now then
        redis.call('SET', KEYS[3], string.format('%d', before), 'PX', math.floor((before - now) / 1000) + 1000)
      else
        redis.call('DEL', KEYS[3])
      end
    end
    redis.call('ZREM', KEYS[4], string.format('%d', slot))
  end
  return -1
end
local remaining = tonumber(redis.call('GET', KEYS[1]) or '0') - now
if #KEYS >= 3 then
  remaining = math.max(remaining, tonumber(redis.call('GET', KEYS[2]) or '0') - now)
  if remaining <= 0 then
    local next_free = now + tonumber(ARGV[1])
    if next_free > tonumber(redis.call('GET', KEYS[3]) or '0') then
      local ttl_ms = math.floor(tonumber(ARGV[1]) / 1000) + 1000
      redis.call('SET', KEYS[3], string.format('%d', next_free), 'PX', ttl_ms)
    end
  end
end
return math.max(remaining, 0)
"""

# After Telegram answered a send. KEYS: 1 chat next-free; ARGV: 1 chat interval us. The chat's
# next-free time becomes at least now + interval.
_ANSWERED_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local next_free = now + tonumber(ARGV[1])
if next_free > tonumber(redis.call('GET', KEYS[1]) or '0') then
  local ttl_ms = math.floor(tonumber(ARGV[1]) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%d', next_free), 'PX', ttl_ms)
end
return 1
"""

_US = 1_000_000


class RedisRateLimiter:
    """Buckets in Redis, shared by every process using the same `prefix`; all keys expire.

    The keys of one acquisition live in different hash slots, so this needs a single Redis
    (or a primary with replicas), not Redis Cluster.
    """

    def __init__(
        self,
        redis: Redis,
        limits: RateLimits | None = None,
        *,
        prefix: str = "sellerbot:rate",
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._redis = redis
        self._prefix = prefix
        self._sleep = sleep
        self._acquire_script = redis.register_script(_ACQUIRE_SCRIPT)
        self._pause_script = redis.register_script(_PAUSE_SCRIPT)
        self._confirm_script = redis.register_script(_CONFIRM_SCRIPT)
        self._answered_script = redis.register_script(_ANSWERED_SCRIPT)
        # Serialises this process's waiters per chat (FIFO), so Redis only arbitrates between
        # processes and a chat's sends from here keep their order.
        self._local_locks: KeyedLocks[int | None] = KeyedLocks()
        # This process's bulk sends ask Redis for a slot one at a time.
        self._bulk_gate = asyncio.Lock()

    def _keys(self, chat_id: int | None, *, paid: bool = False) -> list[str]:
        budget = "paid" if paid else "global"
        keys = [f"{self._prefix}:{budget}:next", f"{self._prefix}:global:pause"]
        if chat_id is not None:
            chat = f"{self._prefix}:chat:{chat_id}"
            keys += [f"{chat}:next", f"{chat}:pause", f"{chat}:window"]
        return keys

    def _confirm_keys(self, chat_id: int | None) -> list[str]:
        keys = [f"{self._prefix}:global:pause"]
        if chat_id is not None:
            chat = f"{self._prefix}:chat:{chat_id}"
            keys += [f"{chat}:pause", f"{chat}:next", f"{chat}:window"]
        return keys

    async def acquire(self, chat_id: int | None, *, bulk: bool = False) -> None:
        async with self._local_locks.hold(chat_id):
            await self._acquire(chat_id, bulk=bulk and chat_id is not None)

    async def _acquire(self, chat_id: int | None, *, bulk: bool) -> None:
        limits = self.limits
        group = chat_id is not None and is_group_chat(chat_id)
        # A paid broadcast takes its slot in a budget of its own, at once: it never competes
        # with interactive replies for the free one.
        paid = bulk and limits.paid_interval is not None
        interval = limits.paid_interval if paid and limits.paid_interval else limits.global_interval
        args = [
            round(interval * _US),
            round(limits.chat_interval * _US),
            limits.group_per_window if group else 0,
            round(limits.group_window * _US),
            round(limits.global_interval * _US) if bulk and not paid else -1,
        ]
        keys = self._keys(chat_id, paid=paid)
        late_us = round(LATE_TOLERANCE * limits.global_interval * _US)
        while True:
            reserved, delay_us, *slot = await self._acquire_script(keys=keys, args=args)
            if reserved == 2:
                # Waiting for a free global slot: this process's bulk sends take turns, so
                # they do not all poll Redis at every slot.
                async with self._bulk_gate:
                    # The wait above was reckoned before this send queued for the gate, maybe
                    # long ago: ask again, or every bulk send in the queue sleeps that stale
                    # wait in turn (a fan-out started behind a burst of replies then crawled
                    # at one send per burst's length).
                    reserved, delay_us, *slot = await self._acquire_script(keys=keys, args=args)
                    while reserved == 2:
                        await self._sleep(int(delay_us) / _US)
                        reserved, delay_us, *slot = await self._acquire_script(keys=keys, args=args)
            if delay_us > 0:
                await self._sleep(int(delay_us) / _US)
            if not reserved:
                continue
            if delay_us <= 0:
                return
            # We slept towards our slot: make sure no 429 paused the bucket in the meantime,
            # and that we did not wake up too late for it (see LATE_TOLERANCE).
            slot_us, chat_before_us = slot
            remaining = await self._confirm_script(
                keys=self._confirm_keys(chat_id),
                args=[args[1], slot_us, late_us, chat_before_us],
            )
            if int(remaining) == 0:
                return

    async def answered(self, chat_id: int) -> None:
        await self._answered_script(
            keys=[f"{self._prefix}:chat:{chat_id}:next"],
            args=[round(self.limits.chat_interval * _US)],
        )

    async def pause_chat(self, chat_id: int, seconds: float) -> None:
        await self._pause_script(
            keys=[f"{self._prefix}:chat:{chat_id}:pause"], args=[round(seconds * _US)]
        )

    async def pause_global(self, seconds: float) -> None:
        await self._pause_script(keys=[f"{self._prefix}:global:pause"], args=[round(seconds * _US)])
