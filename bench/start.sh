#!/usr/bin/env bash
# Cold start: `carrier render` and `carrier --version` beside bare Swift binaries (importing
# FoundationEssentials or Foundation; linked to Swift's shared libraries, as swiftc does by default,
# and with the runtime linked in, as Carrier's release build is), `/bin/true`, in the same hyperfine run.
# Release build (`make release`: --static-swift-stdlib).   bench/start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product carrier >/dev/null
command -v hyperfine >/dev/null || scripts/install-deps.sh hyperfine
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf 'import FoundationEssentials\nprint(Date.now.timeIntervalSince1970 > 0)\n' > "$WORK/essentials.swift"
printf 'import Foundation\nprint(Date().timeIntervalSince1970 > 0)\n' > "$WORK/foundation.swift"
swiftc -O "$WORK/essentials.swift" -o "$WORK/bare-essentials"
swiftc -O "$WORK/foundation.swift" -o "$WORK/bare-foundation"
swiftc -O -static-stdlib "$WORK/essentials.swift" -o "$WORK/bare-essentials-static"
swiftc -O -static-stdlib "$WORK/foundation.swift" -o "$WORK/bare-foundation-static"
printf 'accounts:\n  sendgrid: {provider: sendgrid, credentials: {api_key: SG.bench-key}}\n' > "$WORK/carrier.yaml"
hyperfine -N --warmup 5 --runs 50 /bin/true "$WORK/bare-essentials" "$WORK/bare-foundation" \
  "$WORK/bare-essentials-static" "$WORK/bare-foundation-static" \
  ".build/release/carrier --version" \
  ".build/release/carrier render --config $WORK/carrier.yaml --account sendgrid examples/messages/order-confirmation.json"
