#!/usr/bin/env bash
# The test suite: `cargo test --workspace --locked`, after installing what the Kafka integration
# test (tests/kafka.rs) needs when it is missing: the tansu broker, an Apache Kafka-compatible
# broker with in-memory storage, from crates.io. The install takes about 15 minutes on 2 cores,
# once; it is built with opt-level 1, which is plenty for a test broker and much quicker to build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TANSU:-}" ] && ! command -v tansu >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tansu" ]; then
  echo "installing the tansu broker for the Kafka test (once)..." >&2
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install tansu --version 0.6.0 --features dynostore --locked
fi
cargo test --workspace --locked "$@"
