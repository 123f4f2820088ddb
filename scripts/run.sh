#!/usr/bin/env bash
# Starts everything the product needs on one machine: web (ASGI), Celery worker and Celery beat.
# Ctrl+C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
# Links in emails and SMS point at this server unless a public address is configured.
export SITE_URL=${SITE_URL:-http://$host:$port}

trap 'trap - EXIT INT TERM; kill 0 2>/dev/null' EXIT INT TERM
"$bin/celery" -A config worker --loglevel=WARNING --concurrency=2 &
"$bin/celery" -A config beat --loglevel=WARNING &
# Open waiting-room streams never end by themselves: give them a few seconds at Ctrl+C, not forever.
"$bin/uvicorn" config.asgi:application --host "$host" --port "$port" --lifespan off --log-level warning \
  --timeout-graceful-shutdown 3 &

sleep 2
cat <<MSG

  Videoconsult is running at http://$host:$port/
$(grep "@" var/demo-logins.txt 2>/dev/null)
  Emails and SMS are printed below as they are sent. Ctrl+C stops web, worker and beat.

MSG
wait -n
