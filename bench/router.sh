#!/usr/bin/env bash
# What the router adds per message on the happy path (release build): COUNT messages through one
# account alone, through a three-account failover route with retry and circuit breaker (the first
# account takes every message), and through that route with the write-ahead spool. All end in the
# same file account on tmpfs (/dev/shm), so the differences are routing and spool costs.
#   bench/router.sh [COUNT]     (default 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-5000}
swift build -c release --static-swift-stdlib --product carrier-bench >/dev/null
DIR=$(mktemp -d -p /dev/shm carrier-router-XXXX)
trap 'rm -rf "$DIR"' EXIT
/usr/bin/time -v .build/release/carrier-bench router "$COUNT" "$DIR" bench/message-2k.json x 2> "$DIR/time.txt"
grep -E "Maximum resident set size" "$DIR/time.txt"
