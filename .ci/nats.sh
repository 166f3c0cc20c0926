#!/usr/bin/env bash
# Makes sure a NATS server with JetStream answers on 127.0.0.1:4222, for the tests of several
# nodes (server/tests/cluster.rs; KRING_TEST_NATS defaults to nats://127.0.0.1:4222).
# Idempotent: where something already listens on 4222 it starts nothing, so a developer's or
# CI's own NATS is never touched; it installs Debian's nats-server where it is missing (one test
# runs a NATS server of its own, to stop and restart it). Needs root (apt-get), like the rest of .ci/run.
set -euo pipefail

listening() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }

# The binary too, wherever NATS already runs: one test starts and kills a server of its own.
if ! command -v nats-server >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nats-server >/dev/null
fi

if listening; then
  exit 0
fi

# Containers have no systemd: start it directly, in the background, JetStream in a folder of
# its own.
store=/var/tmp/kring-ci-nats
mkdir -p "$store"
setsid nats-server -a 127.0.0.1 -p 4222 -js -sd "$store" -l "$store/nats.log" </dev/null >/dev/null 2>&1 &

for _ in $(seq 1 30); do
  listening && break
  sleep 1
done
if ! listening; then
  echo "NATS did not come up on 127.0.0.1:4222" >&2
  tail -n 20 "$store/nats.log" >&2 || true
  exit 1
fi
