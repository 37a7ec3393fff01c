#!/usr/bin/env bash
# Check that a running Airlock answers: both APIs live and ready. The operations issue extends
# this with migrations, Redis, workers, keys and clock checks.
set -u
response_url=${AIRLOCK_RESPONSE_URL:-http://127.0.0.1:8000}
request_url=${AIRLOCK_REQUEST_URL:-http://127.0.0.1:8001}
failed=0
check() {
  local name=$1 url=$2 fix=$3
  if curl -fsS --max-time 5 "$url" >/dev/null 2>&1; then
    echo "ok    $name"
  else
    echo "FAIL  $name ($url) - $fix"
    failed=1
  fi
}
check "response network live" "$response_url/health" "start it: make run"
check "response network ready" "$response_url/health/ready" "see its /health/ready body"
check "request network live" "$request_url/health" "start it: make run"
check "request network ready" "$request_url/health/ready" "see its /health/ready body"
exit $failed
