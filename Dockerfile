# Jatayu application image: one daphne process serving HTTP and WebSocket on port 8000.
# docker-compose.yml runs two replicas of it behind nginx, plus a migrate job and an expiry worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not re-install them. psycopg-binary needs no libpq from the OS.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image; the migrate service copies them into the volume nginx serves.
RUN SECRET_KEY=build-only-collectstatic python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app jatayu \
    && chown -R jatayu /app/staticfiles
USER jatayu

EXPOSE 8000

# --proxy-headers: take the client address from nginx's X-Forwarded-For. A WebSocket frame or
# message over 128 KiB closes the socket (1009; over 64 KiB the app answers message_too_large).
# Pings every 20 s; a client silent for 30 s after one is dropped (the same flags as `make run`).
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", \
     "--websocket-max-message-size", "131072", "--websocket-max-frame-size", "131072", \
     "--ping-interval", "20", "--ping-timeout", "30", "jatayu.asgi:application"]
