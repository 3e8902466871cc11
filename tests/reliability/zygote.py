"""`python -m tests.reliability.zygote COMMAND`: start `sellerbot COMMAND` processes in a blink.

Importing aiogram and the bot takes seconds of CPU (much longer on a shared machine), and the
crash tests start a process twenty times and more. This process imports everything once, then
forks a child for every line `start` it reads on stdin and prints the child's pid. The child
runs `bot.cli.main([COMMAND])`, exactly what `python -m bot.cli COMMAND` runs, with this
process's environment: settings, database, event loop and connections are all its own, made
after the fork. Nothing is built at import time in the bot, so nothing is shared but modules
and one thing warmed on purpose: the renderer (`templates.renderer.shared_renderer`, cached
per process), whose six gettext catalogs are parsed and compiled at every start otherwise,
most of a start's CPU. It holds no connection and no per-user state.

Children are reaped by the kernel (SIGCHLD ignored here), so a test sees a killed child gone
with `os.kill(pid, 0)`. Closing stdin ends the zygote; the children it started live on.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback

# What the children run, imported once here.
import bot.cli
import bot.runner
import bot.webhook
import bot.worker
from templates.renderer import shared_renderer


def _child(command: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the bot's own child processes are awaited
    # Our stdout carries pids to the test; the child's output goes with its logs.
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    try:
        code = bot.cli.main([command])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    command = sys.argv[1]
    shared_renderer()  # the default locale's, as the children's settings have it
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        if line.strip() != "start":
            continue
        pid = os.fork()
        if pid == 0:
            _child(command)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
