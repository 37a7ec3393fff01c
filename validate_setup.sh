#!/usr/bin/env bash
# Check a running Airlock and say what to fix: both APIs live and ready, clocks, databases at
# the latest migration, Redis, Celery workers, beat or the in-process jobs, the transfer
# directory, and both sides' keys. One line per check (`ok` or `FAIL ... - fix: ...`); the
# exit status is 1 when any check fails.
#
#   ./validate_setup.sh                   # auto: inside compose when its APIs run, else here
#   ./validate_setup.sh --mode local      # the networks this shell's AIRLOCK_* settings name
#                                         # (none: the embedded `make run`; run from its directory)
#   ./validate_setup.sh --mode compose    # docker-compose.dev.yml, each side in its api container
#   ./validate_setup.sh --help            # --network, --only, --min-free-mb, ...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${AIRLOCK_PYTHON:-$here/.venv/bin/python}
if [ ! -x "$python" ]; then
  if command -v airlock >/dev/null 2>&1; then
    exec airlock validate "$@"
  fi
  echo "FAIL  setup: no Airlock environment at $here/.venv - fix: make install" >&2
  exit 1
fi
exec "$python" -m shared.platform.cli validate \
  --compose-file "$here/docker-compose.dev.yml" --env-file "$here/.env.dev" "$@"
