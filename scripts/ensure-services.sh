#!/usr/bin/env bash
# Make sure the binaries the integration tests start are on this machine:
# PostgreSQL (initdb, pg_ctl), redis-server, age / age-keygen (the encryption tests check
# Airlock against the real age tools) and Chromium (the console's browser tests drive the
# distribution's build with Playwright: Playwright's own browser download cannot run here),
# curl and jq (tests/e2e/test_quickstart.py runs docs/quickstart.md's shell blocks as written).
# Installs them with apt-get when missing. Arguments name more tools a target needs (a
# Debian package of the same name): `make screenshots` asks for pngquant.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
have_redis() { command -v redis-server >/dev/null 2>&1; }
have_age() { command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1; }
have_curl_and_jq() { command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; }
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }

missing=()
have_postgres || missing+=(postgresql)
have_redis || missing+=(redis-server)
have_age || missing+=(age)
have_chromium || missing+=(chromium)
have_curl_and_jq || missing+=(curl jq)
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing ${missing[*]} and no apt-get to install them; install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing ${missing[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package may start its own cluster or server; the tests start throwaway ones.
if command -v service >/dev/null 2>&1; then
  $sudo service redis-server stop >/dev/null 2>&1 || true
  $sudo service postgresql stop >/dev/null 2>&1 || true
fi
