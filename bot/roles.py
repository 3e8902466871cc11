"""Which work each kind of process does (docs/deploy.md, "Processes").

- `sellerbot run`: everything in one process (the embedded mode).
- `sellerbot webhook`: the updates' side — updates in, their replies after the commit, the file
  imports they start — and the scheduled work only with RUN_JOBS_IN_WEBHOOK=true.
- `sellerbot worker`: the scheduled work only — the outbox dispatcher, the tracking poller
  (digests, refused-link pruning), ship-by reminders, return deadlines, retention pruning, the
  provider quota gauge.

Every scheduled job claims its rows so that any number of processes may run it at once: the
outbox, the tracking poller and the return deadlines with a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL); the ship-by reminders and the silent-parcel alerts lock their rows (`SKIP LOCKED`)
inside the one short transaction that writes their outcome; every notification a job writes
carries a dedupe key (a digest's names the seller and the local day), so a row two workers both
reach is queued once; the pruning jobs delete, which is the same whoever does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from bot.shutdown import JobGate

__all__ = ["INTAKE_JOBS", "SHARED_JOBS", "Role", "keep_jobs"]

# Scheduler jobs of the updates' side: the order imports handlers start run in that process,
# and the sweep that ends the ones whose lease ran out (a stopped process's) runs beside them.
INTAKE_JOBS = frozenset({"order_import_sweep"})
# Housekeeping of this process's own database connection (SQLite's log), wherever it runs.
SHARED_JOBS = frozenset({"sqlite_checkpoint"})


@dataclass(frozen=True, slots=True)
class Role:
    intake: bool  # updates (polling or webhook), their replies, the imports they start
    jobs: bool  # the scheduled work


def keep_jobs(scheduler: BaseScheduler, gate: JobGate, role: Role) -> list[str]:
    """Before the scheduler starts: drop the jobs that are not this role's, and put the rest
    behind `gate` (a shutdown closes it). Returns the ids of the jobs kept."""
    kept: list[str] = []
    for job in scheduler.get_jobs():
        if job.id in SHARED_JOBS:
            wanted = True
        elif job.id in INTAKE_JOBS:
            wanted = role.intake
        else:
            wanted = role.jobs
        if wanted:
            job.modify(func=gate.guard(job.func))
            kept.append(job.id)
        else:
            job.remove()
    return kept
