#!/bin/sh
# Start one Airlock role in a container: entrypoint.sh api|worker|beat [COMMAND ...]
#
# `airlock-<network> prepare` waits for the database and Redis, migrates once under a lock
# (api) or waits until the api has migrated (worker, beat), and installs the keys given in
# AIRLOCK_SIGNING_KEY / AIRLOCK_PUBLIC_KEY / AIRLOCK_PEER_PUBLIC_KEY. Then the role's process
# replaces this shell, so it gets the container's signals. A COMMAND runs instead of the
# role's process (one-off tasks, tests). Every failure is one line on stderr.
set -eu

network=${AIRLOCK_NETWORK:-}
case "$network" in
  response | request) ;;
  *)
    echo "error: AIRLOCK_NETWORK must be response or request, not '$network'" >&2
    exit 2
    ;;
esac

role=${1:-api}
case "$role" in
  api | worker | beat)
    if [ "$#" -gt 0 ]; then shift; fi
    ;;
  *)
    echo "error: unknown role '$role': use api, worker or beat" >&2
    exit 2
    ;;
esac

cli="airlock-$network"
"$cli" prepare --role "$role" --wait-seconds "${AIRLOCK_WAIT_SECONDS:-60}"
# The keys are on disk now: keep them out of the long-running process's environment.
unset AIRLOCK_SIGNING_KEY AIRLOCK_PUBLIC_KEY AIRLOCK_PEER_PUBLIC_KEY
# The metrics files of the network's processes (prometheus-client writes there, never creates it).
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
case "$role" in
  api) exec "$cli" run ;;
  worker) exec "$cli" worker --concurrency "${AIRLOCK_WORKER_CONCURRENCY:-2}" ;;
  beat) exec "$cli" beat ;;
esac
