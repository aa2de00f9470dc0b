# KetNoi's image: `python -m bot run` as an unprivileged user; Docker checks /healthz.
# Build: docker build -t ketnoi .   Run two of them behind one PostgreSQL: compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The user the service runs as, and the one folder it writes (a SQLite file when DATABASE_URL is unset).
RUN groupadd --system ketnoi \
    && useradd --system --gid ketnoi --home-dir /var/lib/ketnoi --shell /usr/sbin/nologin ketnoi \
    && install -d -o ketnoi -g ketnoi /var/lib/ketnoi

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY broadcasts ./broadcasts
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir .

# Listen on every interface of the container; without PostgreSQL, SQLite lives in the volume.
ENV WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    LOG_FORMAT=json \
    ZALO_STATE_DIR=/var/lib/ketnoi/zalo \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/ketnoi/ketnoi.db
VOLUME ["/var/lib/ketnoi"]
USER ketnoi
EXPOSE 8080

# Alive, not ready: /readyz (database, getMe) is for a load balancer, not for restarts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"]

CMD ["python", "-m", "bot", "run"]
