"""`python -m tests.fork_server SOCKET`: start `sellerbot …` processes without paying the imports.

Importing aiogram and the bot costs seconds of CPU per process (pydantic builds every Bot API
model at import), and the suite starts dozens of `sellerbot` processes: the start-up failure,
graceful-shutdown, secrets and webhook tests. This server imports all of it once; each request
forks a child that runs `bot.cli.main(argv)` — what `python -m bot.cli …` runs — with the
request's own environment, working directory, stdout and stderr. The bot builds nothing at
import time (settings, event loop, connections and logging all come after `main` starts), so a
child shares only modules with the server, plus the renderer warmed on purpose (its gettext
catalogs are most of a start's CPU; it holds no connection and no per-user state).

Protocol, over a Unix SOCK_SEQPACKET socket (one message per send): a client connects once per
process it wants, sends `{"argv", "env", "cwd"}` as JSON with its pipes' write ends attached
(SCM_RIGHTS: stdout, stderr), and reads back `{"pid"}`, then `{"exit": code}` when the child
ends (negative: killed by that signal, as in `subprocess`). A client that hangs up first has
its child killed, so a failed test leaves no process behind. The server ends when its stdin
closes, i.e. when the test process that started it is gone. `tests/forks.py` is the client.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import traceback

import bot.cli
import bot.runner
import bot.webhook
import bot.worker
from templates.renderer import shared_renderer

_MAX_REQUEST = 1 << 20


def _child(request: dict[str, object], fds: list[int], inherited: list[int]) -> None:
    """Become `sellerbot argv` with the request's environment; never returns."""
    code = 1
    try:
        for fd in inherited:
            os.close(fd)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in (devnull, *fds):
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        os.chdir(str(request["cwd"]))
        code = bot.cli.main(list(request["argv"]))  # type: ignore[call-overload]
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class _Server:
    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        self.listener.listen(64)
        self.children: dict[int, socket.socket] = {}
        self.selector = selectors.DefaultSelector()
        # SIGCHLD wakes the select through this pipe; the handler itself does nothing.
        self.wakeup_read, wakeup_write = os.pipe()
        os.set_blocking(wakeup_write, False)
        self.wakeup_write = wakeup_write
        signal.set_wakeup_fd(wakeup_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.selector.register(self.wakeup_read, selectors.EVENT_READ, self._reap)
        self.selector.register(sys.stdin, selectors.EVENT_READ, self._stdin)
        self.running = True

    def serve(self) -> None:
        print("ready", flush=True)
        while self.running:
            for key, _ in self.selector.select():
                key.data(key.fileobj)

    def _accept(self, listener: socket.socket) -> None:
        connection, _ = listener.accept()
        self.selector.register(connection, selectors.EVENT_READ, self._request)

    def _request(self, connection: socket.socket) -> None:
        try:
            message, fds, _, _ = socket.recv_fds(connection, _MAX_REQUEST, 2)
        except ConnectionError:
            message, fds = b"", []
        if not message:
            self._hang_up(connection)
            return
        request = json.loads(message)
        inherited = [self.listener.fileno(), self.wakeup_read, self.wakeup_write]
        inherited.append(self.selector.fileno())  # type: ignore[attr-defined]
        inherited += [c.fileno() for c in self.children.values()] + [connection.fileno()]
        pid = os.fork()
        if pid == 0:
            _child(request, fds, inherited)
        for fd in fds:
            os.close(fd)
        self.children[pid] = connection
        connection.send(json.dumps({"pid": pid}).encode())

    def _hang_up(self, connection: socket.socket) -> None:
        self.selector.unregister(connection)
        for pid, owner in list(self.children.items()):
            if owner is connection:
                os.kill(pid, signal.SIGKILL)
        connection.close()

    def _reap(self, _: int) -> None:
        os.read(self.wakeup_read, 4096)
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = self.children.pop(pid, None)
            if connection is not None and connection.fileno() != -1:
                code = os.waitstatus_to_exitcode(status)
                # A client gone meanwhile waits for no code.
                with contextlib.suppress(OSError):
                    connection.send(json.dumps({"exit": code}).encode())

    def _stdin(self, stdin: object) -> None:
        if not sys.stdin.buffer.read1(4096):
            self.running = False


def main() -> None:
    shared_renderer()  # the default locale's, as the children's settings have it
    _Server(sys.argv[1]).serve()


if __name__ == "__main__":
    main()
