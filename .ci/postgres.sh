#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 with trust auth for local TCP and has a
# database `test`, for the Postgres store tests (README, "Tests"; KRING_TEST_DATABASE defaults to
# postgres://postgres@127.0.0.1:5432/test). Idempotent: where something already listens on
# 5432 it does nothing at all, so a developer's or CI's own PostgreSQL is never touched.
# Needs root (apt-get, the cluster's files), like the rest of .ci/run.
set -euo pipefail

listening() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

if listening; then
  exit 0
fi

if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)

# Debian's package makes a cluster `main` unless told not to; make it if it is missing.
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver main"; then
  pg_createcluster "$ver" main --port 5432 >/dev/null
fi

# Trust on local TCP only, ahead of Debian's rules (the first matching line wins). A test
# machine's throwaway cluster; never do this on a server that holds real data.
hba="/etc/postgresql/$ver/main/pg_hba.conf"
if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
fi

# Containers have no systemd: start the cluster directly (a no-op error if it already runs).
pg_ctlcluster "$ver" main start || true

for _ in $(seq 1 30); do
  listening && break
  sleep 1
done
if ! listening; then
  echo "PostgreSQL $ver did not come up on 127.0.0.1:5432" >&2
  tail -n 20 "/var/log/postgresql/postgresql-$ver-main.log" >&2 || true
  exit 1
fi

psql=(psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
  "${psql[@]}" -c "CREATE DATABASE test"
fi
