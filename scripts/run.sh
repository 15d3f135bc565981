#!/usr/bin/env bash
# `make run`: install, migrate the embedded SQLite database, load the demo retailer, print an
# admin key and the URLs, and serve on 127.0.0.1 (background jobs run inside the server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export FLASK_APP=wsgi
# Log lines for a person at this terminal (production's default is one JSON object a line).
export OMS_LOG_FORMAT="${OMS_LOG_FORMAT:-text}"
bind="${OMS_BIND:-127.0.0.1:8000}"
.venv/bin/flask db upgrade
.venv/bin/flask oms demo
key=$(.venv/bin/flask oms create-api-key --role admin --name "make-run" | tail -n 1)
# One staff user per role for the web pages; each run gives them new passwords.
users=$(.venv/bin/flask oms demo-users | sed 's/^/                /')
cat <<MSG

  Omnichannel OMS on http://$bind  (database: ${OMS_DATABASE_URL:-var/oms.sqlite3})
  Staff pages:  http://$bind/   sign in as (role, username, password):
$users
  API docs:     http://$bind/api/v1/docs
  OpenAPI:      http://$bind/api/v1/openapi.json
  Admin key:    $key
  Try:          curl -H "Authorization: Bearer $key" "http://$bind/api/v1/stock/NW-JKT-ALP-BLK-M?near=store-nyc-soho"

MSG
export OMS_BIND="$bind"
exec .venv/bin/gunicorn -c python:oms.gunicorn_conf wsgi:app
