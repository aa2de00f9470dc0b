"""Real `python -m bot run` processes behind one address, for the tests of several processes.

`Service` is one subprocess whose log lines can be waited on; `Balancer` is the small load
balancer in front of their web servers: each webhook call (Telegram's, Zalo's) or media fetch goes
to the next process in turn, and to another one if that process does not answer (it was killed),
as a load balancer with passive health checks does. So any process may take any update or event.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import ClientConnectionError, ClientSession, ClientTimeout, web

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
READY = "KetNoi is running"
_HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class Service:
    """One `python -m bot run` subprocess; its log is kept, and can be waited on, line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> Service:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())
            async with self._changed:
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_line(self, text: str) -> bool:
        """Until a log line contains `text` (True) or the process ended without one (False)."""

        def seen() -> bool:
            return any(text in line for line in self.lines)

        async with self._changed:
            await self._changed.wait_for(lambda: seen() or self._reader.done() or self.process.returncode is not None)
        return seen()

    def log(self, last: int = 40) -> str:
        return "\n".join(self.lines[-last:])

    async def stop(self, sig: signal.Signals) -> int:
        """Send `sig` (if still running) and wait for the exit code (the test's timeout bounds it)."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        await self.process.wait()
        await self._reader
        return self.process.returncode or 0


def base_env(**settings: str) -> dict[str, str]:
    """This environment without any KetNoi setting (no stray token), then the given ones."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    return env | {"PYTHONPATH": str(ROOT)} | {k.upper(): v for k, v in settings.items()}


class Balancer:
    """Round robin over the backends' base URLs; a backend that refuses or drops the connection is skipped."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self._turn = itertools.count()
        self.taken: dict[str, int] = dict.fromkeys(backends, 0)  # calls each backend answered
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._session = ClientSession(timeout=ClientTimeout(total=60))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        first = next(self._turn)
        for offset in range(len(self.backends)):
            backend = self.backends[(first + offset) % len(self.backends)]
            try:
                async with self._session.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as resp:
                    data = await resp.read()
                    self.taken[backend] += 1
                    return web.Response(
                        status=resp.status, body=data, content_type=resp.content_type if data else None
                    )
            except ClientConnectionError:
                continue  # that process is gone: the next one takes the call
        return web.Response(status=502)


async def wait_until(emulator, predicate: Callable[[], bool], services: list[Service]) -> None:
    """Wait on the emulator's changes until `predicate` holds; the log of every process if it never does."""
    assert await emulator.wait_for(predicate), "\n".join(s.log() for s in services)
