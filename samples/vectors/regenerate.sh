#!/usr/bin/env bash
# Rewrites the golden vectors: the JSON files from the generator in
# Tests/TicketCodecTests/VectorTests.swift (fixed key 00..1f, fixed serials, fixed clocks), then
# one PNG per vector drawn by `vaxticket qr` at ECC Q, 4 px a module, quiet zone 4, 300 dpi.
set -euo pipefail
cd "$(dirname "$0")/../.."
VAXTICKET_WRITE_VECTORS=1 swift test --filter VectorTests >/dev/null || true
swift build
bin="$(swift build --show-bin-path)/vaxticket"
for json in samples/vectors/*.json; do
    text=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["text"])' "$json")
    "$bin" qr "$text" --ecc Q --module-px 4 --quiet-zone 4 --dpi 300 --out "${json%.json}.png"
done
swift test --filter VectorTests
