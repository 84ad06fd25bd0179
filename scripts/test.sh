#!/usr/bin/env bash
# Runs the whole test suite: installs missing system packages, builds (failing on any compiler
# warning in our code) and runs the Swift Testing suites. The parity tests also run over
# ../shared/golden when that folder exists (or LEADGATE_GOLDEN_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# Formatting is part of the build: the toolchain's swift-format with the checked-in .swift-format.
swift format lint --strict -r Sources Tests Benchmarks/TreeEnsembleBenchmarks Package.swift Benchmarks/Package.swift

log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$log" >/dev/null; then
    echo "error: the build has compiler warnings in Sources/ or Tests/ (see above); fix them" >&2
    exit 1
fi
if [ "$#" -gt 0 ]; then
    exec swift test --skip-build "$@"
fi
# The records suites start PostgreSQL servers and kill them under load; they run alone too.
# The deadline suites measure wall time (a 500 ms budget held to a few milliseconds; Redis timeouts
# of 20 ms and recovery within a second), so they run on
# their own, after everything else: next to the parity suites, which keep both cores busy, a
# process can wait seconds for a core, and the numbers would say nothing about the code.
timing='TransportTests|LLMTests|RerankRouteTests|RedisStoreTests|StoreRouteTests|PromptRouteTests|PromptEvalRunTests|VoiceTests|WebhookTests|EventTests|RecorderTests|RecordsRouteTests|PerformanceRouteTests|GuardRailTests|RetrainTests'
swift test --skip-build --skip "$timing"
for suite in TransportTests LLMTests RerankRouteTests RedisStoreTests StoreRouteTests PromptRouteTests PromptEvalRunTests VoiceTests WebhookTests EventTests RecorderTests RecordsRouteTests PerformanceRouteTests GuardRailTests RetrainTests; do  # one suite at a time, each serialized
    swift test --skip-build --filter "$suite"
done

# The OpenAPI document (Sources/Gateway/Resources/openapi.yaml) is valid OpenAPI 3.1 and every
# example in it validates against its schema; then schemathesis drives a release build from that
# document: every operation, 20 generated cases each, all checks, auth on.
scripts/python-tools.sh .build/venv-tools
.build/venv-tools/bin/python scripts/openapi-check.py Sources/Gateway/Resources/openapi.yaml
scripts/schemathesis.sh --max-examples 20
