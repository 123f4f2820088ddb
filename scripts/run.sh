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

# Here uvicorn also serves the static files (WhiteNoise, whose file responses are synchronous): Django warns
# about that on every file. Production serves pages and files by gunicorn, where the warning does not apply.
export PYTHONWARNINGS="ignore:StreamingHttpResponse must consume synchronous iterators"

pids=()
stop() {
  trap - EXIT INT TERM
  exec 2>/dev/null  # not bash's "Killed" notices: the stop below is meant
  kill -TERM "${pids[@]}" 2>/dev/null || true
  # Celery's warm shutdown waits for its pool and broker polling; give everything three seconds, then stop
  # it hard (a message a killed worker had claimed is sent again by the sweep once its lease runs out).
  for _ in $(seq 30); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  echo "  Stopped web, worker and beat."
}
trap stop EXIT INT TERM
"$bin/celery" -A config --quiet worker --loglevel=WARNING --concurrency=2 &
pids+=($!)
"$bin/celery" -A config --quiet beat --loglevel=WARNING &
pids+=($!)
# Open waiting-room streams never end by themselves: give them a few seconds at Ctrl+C, not forever.
"$bin/uvicorn" config.asgi:application --host "$host" --port "$port" --lifespan off --log-level warning \
  --timeout-graceful-shutdown 3 --log-config config/logging.json &
pids+=($!)

sleep 2
cat <<MSG

  Videoconsult is running at http://$host:$port/
$(grep "@" var/demo-logins.txt 2>/dev/null)
  Emails and SMS are printed below, a line each (CONSOLE_MESSAGES=full prints them whole).
  Ctrl+C stops web, worker and beat.

MSG
wait -n
