"""Our aiohttp server: health, readiness, metrics, platform webhooks, and (in demo mode) the demo
chat page.

`/healthz` says the process is alive (no database, no platform: a restart would not help
otherwise); `/readyz` says whether it can serve (`bot.readiness`), 503 with the failing checks
named; `/metrics` is Prometheus' text format (`bot.metrics`), behind an optional bearer token
(`METRICS_TOKEN`, compared in constant time) because the same port serves the public webhooks.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"
ZALO_WEBHOOK_PATH = "/zalo/webhook"
READY = "ok"


@dataclass(frozen=True)
class Probes:
    """What the probes ask of the root: the readiness checks and the metrics' text."""

    ready: Callable[[], Awaitable[dict[str, str]]]  # check name -> "ok" or why not
    metrics: Callable[[], Awaitable[bytes]]
    metrics_content_type: str = "text/plain; charset=utf-8"
    metrics_token: str | None = None  # when set, /metrics wants "Authorization: Bearer <token>"


PROBES = web.AppKey("probes", Probes)


async def health(request: web.Request) -> web.Response:
    """Alive: the event loop answers. Also served as /health (the older name)."""
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    checks = await request.app[PROBES].ready()
    failed = {name: state for name, state in checks.items() if state != READY}
    status = 503 if failed else 200
    return web.json_response({"status": "ready" if not failed else "not ready", "checks": checks}, status=status)


async def metrics(request: web.Request) -> web.Response:
    probes = request.app[PROBES]
    if probes.metrics_token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), probes.metrics_token.encode()):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    body = await probes.metrics()
    return web.Response(body=body, headers={"Content-Type": probes.metrics_content_type})


def build_web_app(probes: Probes | None = None) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_get("/health", health)
    app.router.add_get("/healthz", health)
    if probes is not None:
        app[PROBES] = probes
        app.router.add_get("/readyz", ready)
        app.router.add_get("/metrics", metrics)
    return app


class WebServer:
    """Runs an aiohttp application on host:port; port 0 picks a free one."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else ()
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("web server on http://%s:%s", self.host, self.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
