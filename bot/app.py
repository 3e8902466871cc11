"""The composition root: builds every app-scope object once and wires them together."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database
from bot.commands import command_menus
from bot.event_isolation import ForgetfulEventIsolation
from bot.file_worker import FileWorker
from bot.fsm_storage import AfterCommitStorage, SqlStorage
from bot.inline_filters import run_plain_filters_on_the_loop
from bot.log_context import LogContextMiddleware
from bot.metrics import Metrics
from bot.middlewares import (
    ConversationContextMiddleware,
    ErrorMiddleware,
    FloodCounter,
    LocaleMiddleware,
    MemoryFloodCounter,
    OutageMiddleware,
    RedisFloodCounter,
    ThrottleMiddleware,
    UnitOfWorkMiddleware,
)
from bot.notice_keyboards import NoticeKeyboards
from bot.order_imports import OrderImportRunner
from bot.polling import Poller
from bot.replies import ReplyQueue
from bot.roles import Role, keep_jobs
from bot.session import BotApiSession
from bot.settings import Settings
from bot.shutdown import Deadline, JobGate
from bot.uploads import FileSteps, TelegramFiles
from domain import countries
from domain.clock import Clock, utcnow
from domain.model import PROCESSED_UPDATE_RETENTION
from domain.returns import files as return_files
from domain.unit_of_work import UnitOfWork
from handlers import get_routers
from handlers.config import HandlerConfig
from handlers.context import UpdateContextMiddleware
from notifications.outbox import OutboxDispatcher
from notifications.rate_limit_fallback import RedisRateLimiterWithFallback
from notifications.rate_limits import (
    InProcessRateLimiter,
    RateLimiter,
    RateLimits,
    RedisRateLimiter,
)
from notifications.reminders import send_due_reminders
from notifications.return_deadlines import ReturnDeadlineJob, return_deadline_rules
from notifications.return_relay import ReturnRelayDelivery
from notifications.sender import Sender
from notifications.tracking.factory import make_tracking_provider
from notifications.tracking.jobs import tracking_jobs, tracking_rules
from notifications.tracking.poller import TrackingPoller
from notifications.tracking.provider import TrackingProvider
from templates import Renderer, shared_renderer

log = logging.getLogger(__name__)

OUTBOX_SWEEP_SECONDS = 5.0


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    renderer: Renderer
    bot: Bot
    sender: Sender
    replies: ReplyQueue
    outbox: OutboxDispatcher
    dispatcher: Dispatcher
    poller: Poller
    scheduler: AsyncIOScheduler
    clock: Clock
    uow_factory: Callable[[], UnitOfWork]
    tracking: TrackingPoller
    order_imports: OrderImportRunner
    file_steps: FileSteps
    outage: OutageMiddleware
    redis: Redis | None = None
    # Set in webhook and worker processes, which serve them at /metrics.
    metrics: Metrics | None = None
    # Guards every scheduled job, so a shutdown can stop them starting and wait for them.
    jobs: JobGate = field(default_factory=JobGate)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # Building the country name index in a worker thread (not one of `_tasks`: `wait()` is
    # about the process's work, which this is not).
    _warm_up: asyncio.Task[None] | None = None
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(
        self,
        *,
        set_commands: bool = True,
        polling: bool = True,
        jobs: bool = True,
        intake: bool = True,
    ) -> None:
        """Start the process's work and return at once: with `intake`, the updates' side
        (polling unless the updates come by webhook, the imports they start); with `jobs`, the
        scheduled work (outbox, tracking, reminders, return deadlines: `bot.roles`)."""
        # Fills aiogram's cache of the bot's own user (deep links need the username), so no
        # handler ever asks Telegram for it while holding a transaction.
        await self.bot.me()
        # Polling has moved past an update that fails below the error middleware: its sender
        # must hear to send it again. A webhook answers it with an error and gets it again.
        self.outage.tell_user = polling
        if set_commands:
            for menu in command_menus(self.renderer, self.settings.default_locale):
                await self.sender.call(menu, chat_id=None)
        if intake:
            # Imports a stopped process left behind: their sellers hear about it now.
            await self.order_imports.sweep()
        # Everything built so far (aiogram's and pydantic's models, templates: ~300k objects)
        # lives as long as the process. Out of the collector's sight, a full collection no
        # longer stops every user for a few hundred milliseconds while a file is imported.
        gc.collect()
        gc.freeze()
        if intake:
            # Off the loop and after the start-up is done: the first update that needs it
            # waits only for what is left of the build (domain.countries).
            self._warm_up = asyncio.create_task(_warm_country_index())
        keep_jobs(self.scheduler, self.jobs, Role(intake=intake, jobs=jobs))
        self.scheduler.start()
        if jobs:
            self._tasks.append(
                asyncio.create_task(self.outbox.run(poll_interval=OUTBOX_SWEEP_SECONDS))
            )
        if polling:
            self._tasks.append(asyncio.create_task(self.poller.run()))

    async def wait(self) -> None:
        """Until the work started ends: on an error, or after `stop()`."""
        if self._tasks:
            await asyncio.gather(*self._tasks)
        else:  # a webhook process without jobs: its work arrives over HTTP
            await self._stopped.wait()

    async def stop(self, deadline: Deadline | None = None) -> None:
        """Stop gracefully (docs/deploy.md, "Stopping"): take no new work; let the updates,
        sends and jobs in flight finish until `deadline` (SHUTDOWN_TIMEOUT_SECONDS from now
        by default); cancel what is left, each part handing back the rows it claimed and did
        not process; send the replies already committed; close."""
        deadline = deadline or Deadline(self.settings.shutdown_timeout_seconds)
        if self.scheduler.running:  # started: there may be work in flight
            log.info("stopping: work in flight has %.0f s to finish", deadline.remaining())
        self.poller.stop()
        self.jobs.close()
        if self._warm_up is not None:
            # The thread runs to its end (a second at most); only the wait for it is dropped.
            self._warm_up.cancel()
            await asyncio.gather(self._warm_up, return_exceptions=True)
            self._warm_up = None
        # The outbox sends no further row once told; the queued ones go back to `pending`.
        stopping = [asyncio.ensure_future(self.outbox.stop()), *self._tasks]
        await asyncio.gather(_finish(stopping, deadline), self.jobs.drain(deadline))
        self._tasks.clear()
        await self.file_steps.stop()
        await self.order_imports.stop()
        with suppress(Exception):
            # Replies of updates that committed: sent even when the deadline passed, briefly.
            await asyncio.wait_for(self.replies.drain(), timeout=max(deadline.remaining(), 2.0))
        await self.replies.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with suppress(Exception):
            await self.tracking.provider.close()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
        # start() froze everything alive; an app rebuilt in this process (a sandbox reset)
        # must let this one's objects be collected.
        gc.unfreeze()
        self._stopped.set()


async def _warm_country_index() -> None:
    try:
        await asyncio.to_thread(countries.warm_up)
    except Exception:
        # Not fatal: the first update that needs the index builds it.
        log.exception("building the country name index at start failed")


async def _finish(tasks: Sequence[asyncio.Future[Any]], deadline: Deadline) -> None:
    """Wait for `tasks` until the deadline, then cancel the rest (each hands back its claims)."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=deadline.remaining())
    for task in late:
        task.cancel()
    # A task that failed must not stop the shutdown half-way; whoever awaits wait() gets it.
    await asyncio.gather(*tasks, return_exceptions=True)
    if late:
        log.warning("shutdown: %d task(s) cancelled at the deadline", len(late))


def make_bot(settings: Settings, token: str, api_base: str | None = None) -> Bot:
    base = api_base or settings.telegram_api_base
    session = BotApiSession(api=TelegramAPIServer.from_base(base)) if base else BotApiSession()
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def create_application(
    settings: Settings,
    *,
    token: str | None = None,
    api_base: str | None = None,
    clock: Clock = utcnow,
    migrate: bool = True,
    tracking_provider: TrackingProvider | None = None,
    metrics: Metrics | None = None,
) -> Application:
    """Build the whole bot. `token`/`api_base` override the settings (sandbox, tests);
    `tracking_provider` replaces the configured one (tests, the sandbox's simulator);
    `metrics`, when given, is fed by the sender, the tracking provider and the poller."""
    engine = database.create_engine(
        settings.effective_database_url, connect_timeout=settings.connect_timeout_seconds
    )
    if migrate:
        await database.upgrade(engine)
    session_factory = database.create_session_factory(engine)
    renderer = shared_renderer(settings.default_locale)
    secret = token or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    )
    if secret is None:
        raise ValueError("a bot token is needed (or run the sandbox)")
    bot = make_bot(settings, secret, api_base)
    # Timeouts on every Redis call: a Redis that stops answering fails the update (the user is
    # told to try again) instead of hanging it, and every user behind it, for ever.
    redis = (
        Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=settings.connect_timeout_seconds,
            socket_timeout=settings.connect_timeout_seconds,
        )
        if settings.redis_url
        else None
    )
    limits = RateLimits(
        global_per_second=settings.send_global_rate_per_second,
        chat_interval=settings.send_private_chat_interval_seconds,
        group_per_window=settings.send_group_per_minute,
        paid_broadcast_per_second=(
            settings.send_paid_broadcast_rate_per_second if settings.send_paid_broadcast else None
        ),
    )
    # Several processes must share one budget with Telegram, so their buckets live in Redis;
    # while Redis is away each process keeps its own, so replies (the "try again shortly"
    # above all) still go out.
    limiter: RateLimiter = (
        RedisRateLimiterWithFallback(RedisRateLimiter(redis, limits), InProcessRateLimiter(limits))
        if redis
        else InProcessRateLimiter(limits)
    )
    sender = Sender(
        metrics.telegram_client(bot) if metrics else bot,
        limiter,
        paid_broadcast=settings.send_paid_broadcast,
    )
    replies = ReplyQueue(sender)

    outbox_holder: dict[str, OutboxDispatcher] = {}

    def wake_outbox() -> None:
        outbox_holder["outbox"].wake()

    async def forget_deleted_rows() -> None:
        await database.checkpoint_sqlite(engine)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(
            session_factory,
            clock=clock,
            on_notifications_added=wake_outbox,
            on_personal_data_deleted=forget_deleted_rows,
        )

    outbox = OutboxDispatcher(
        uow_factory,
        sender,
        renderer,
        default_locale=settings.default_locale,
        clock=clock,
        max_attempts=settings.send_max_attempts,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        deliveries=dict.fromkeys(
            ReturnRelayDelivery.templates,
            ReturnRelayDelivery(
                uow_factory, sender, renderer, TelegramFiles(bot, return_files.MAX_FILE_BYTES)
            ),
        ),
        keyboard=NoticeKeyboards(renderer),
    )
    outbox_holder["outbox"] = outbox

    storage: BaseStorage
    isolation: BaseEventIsolation
    counter: FloodCounter
    if redis is not None:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        # Written after each update's commit, so a failed update leaves the conversation be.
        storage = AfterCommitStorage(RedisStorage(redis))
        isolation = RedisEventIsolation(redis)
        counter = RedisFloodCounter(redis, settings.flood_window_seconds)
    else:
        storage = SqlStorage(uow_factory)
        isolation = ForgetfulEventIsolation()
        counter = MemoryFloodCounter(settings.flood_window_seconds)

    # The built-in FSM middleware is registered by hand below, at its place in our chain.
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation, disable_fsm=True)
    # Handlers get the values they read, never the Settings object.
    dispatcher["config"] = HandlerConfig(
        operator_ids=settings.operator_ids,
        parcel_photo_min_order_value=settings.parcel_photo_min_order_value,
        outbox_retention_days=settings.outbox_retention_days,
        return_deadlines=return_deadline_rules(settings),
        import_max_open_orders=settings.import_max_open_orders,
    )
    dispatcher["renderer"] = renderer
    dispatcher["uow_factory"] = uow_factory
    dispatcher["sender"] = sender
    # Uploaded data files are read off the update path, in a bounded child process.
    files = FileWorker()
    order_imports = OrderImportRunner(
        bot,
        sender,
        renderer,
        uow_factory,
        files,
        clock=clock,
        max_open_orders=settings.import_max_open_orders,
    )
    file_steps = FileSteps(bot, files, uow_factory, renderer, replies, storage, isolation)
    dispatcher["order_imports"] = order_imports
    dispatcher["file_steps"] = file_steps
    # Outermost, so even the flood throttle's lines name the update.
    dispatcher.update.outer_middleware(LogContextMiddleware())
    # Next, so a database or Redis outage anywhere below is answered, not just logged.
    outage = OutageMiddleware(replies, renderer, settings.default_locale)
    dispatcher.update.outer_middleware(outage)
    dispatcher.update.outer_middleware(
        ThrottleMiddleware(
            counter, settings.flood_max_updates, replies, renderer, settings.default_locale
        )
    )
    dispatcher.update.outer_middleware(
        ConversationContextMiddleware(storage, isolation, dispatcher.fsm.strategy)
    )
    dispatcher.update.outer_middleware(
        UnitOfWorkMiddleware(
            uow_factory,
            renderer,
            replies,
            settings.default_locale,
            sql_storage=storage if isinstance(storage, SqlStorage) else None,
            storage=storage,
        )
    )
    dispatcher.update.outer_middleware(LocaleMiddleware(settings.default_locale))
    dispatcher.update.outer_middleware(ErrorMiddleware())
    # Innermost: gathers what every handler works with into the one `ctx` keyword.
    dispatcher.update.outer_middleware(UpdateContextMiddleware())
    dispatcher.include_routers(*get_routers())
    # Magic filters would otherwise each take a trip through a worker thread (see the module).
    run_plain_filters_on_the_loop(dispatcher)

    scheduler = AsyncIOScheduler(timezone="UTC")
    _every(
        scheduler,
        outbox.prune_processed_updates,
        hours=1,
        kwargs={"keep": PROCESSED_UPDATE_RETENTION},
        job_id="prune_processed_updates",
    )
    _every(
        scheduler,
        outbox.prune_finished,
        hours=1,
        kwargs={"keep": timedelta(days=settings.outbox_retention_days)},
        job_id="prune_outbox",
    )
    if database.sqlite_file(engine) is not None:
        # Bounds how long deleted rows can outlive an erasure whose own checkpoint was busy.
        _every(
            scheduler,
            database.checkpoint_sqlite,
            hours=1,
            args=[engine],
            job_id="sqlite_checkpoint",
        )
    # Also at start-up: reminders that fell due while the bot was down go out now, not five
    # minutes later.
    _every(
        scheduler,
        send_due_reminders,
        minutes=5,
        args=[uow_factory, clock],
        job_id="order_reminders",
        at_start=True,
    )
    provider = tracking_provider or make_tracking_provider(
        settings.tracking_provider,
        api_key=(
            settings.tracking_api_key.get_secret_value() if settings.tracking_api_key else None
        ),
        clock=clock,
        call_log=settings.tracking_simulated_call_log,
    )
    if metrics is not None:
        provider = metrics.tracking_provider(provider)
        # Reading the quota costs no quota; once an hour keeps far below 3 requests/s.
        _every(
            scheduler,
            metrics.refresh_quota,
            hours=1,
            args=[provider],
            job_id="tracking_quota_metrics",
            at_start=True,
        )
    tracking = TrackingPoller(uow_factory, provider, rules=tracking_rules(settings), clock=clock)
    for job in tracking_jobs(tracking, uow_factory, settings):
        function = job.function
        if metrics is not None and job.name == "tracking_tick":
            function = metrics.timed_poll_pass(function)
        _every(scheduler, function, seconds=job.every_seconds, job_id=job.name)
    deadlines = ReturnDeadlineJob(uow_factory, return_deadline_rules(settings))
    _every(scheduler, deadlines.tick, minutes=1, job_id="return_deadlines")
    _every(scheduler, order_imports.sweep, minutes=1, job_id="order_import_sweep")
    poller = Poller(bot, dispatcher)
    jobs = JobGate()
    # On shutdown the long jobs finish the batch in hand and claim no further one.
    jobs.on_close(tracking.stop_claiming)
    jobs.on_close(deadlines.stop_claiming)
    return Application(
        settings=settings,
        engine=engine,
        renderer=renderer,
        bot=bot,
        sender=sender,
        replies=replies,
        outbox=outbox,
        dispatcher=dispatcher,
        poller=poller,
        scheduler=scheduler,
        clock=clock,
        uow_factory=uow_factory,
        tracking=tracking,
        order_imports=order_imports,
        file_steps=file_steps,
        outage=outage,
        redis=redis,
        metrics=metrics,
        jobs=jobs,
    )


def _every(
    scheduler: AsyncIOScheduler,
    function: Callable[..., Any],
    *,
    job_id: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    at_start: bool = False,
    **interval: float,
) -> None:
    """Run `function` every `interval` (hours=1, minutes=5...), one run at a time: runs missed
    while one was busy collapse into one. `at_start` runs it at start-up too, however long the
    start takes (no grace limit, so a slow start does not skip that first run)."""
    first_run = {"next_run_time": datetime.now(UTC), "misfire_grace_time": None} if at_start else {}
    scheduler.add_job(
        function,
        "interval",
        args=args,
        kwargs=kwargs,
        id=job_id,
        coalesce=True,
        max_instances=1,
        **interval,
        **first_run,
    )
