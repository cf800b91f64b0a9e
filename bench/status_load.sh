#!/usr/bin/env bash
# The /status load benchmark (BENCHMARKS.md): many concurrent clients poll
# GET /status on 127.0.0.1 during a 1,000-step run; reports the request
# rate and the run's slowdown. Bounded: each loaded run is cancelled after
# 120 s and each client sends at most 200,000 requests.
#
#   bench/status_load.sh [--steps N] [--clients N] [--rounds N] [--seconds N] [--mixed]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p flowtoy-bench --bin status_load
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec "${CARGO_TARGET_DIR:-target}/release/status_load" "$@"
