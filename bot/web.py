"""Our aiohttp server: health, platform webhooks, and (in demo mode) the demo chat page."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"
ZALO_WEBHOOK_PATH = "/zalo/webhook"


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_web_app() -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_get("/health", health)
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
