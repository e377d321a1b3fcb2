#!/bin/sh
# Runs keyaudit's fuzz targets under libFuzzer for FUZZ_SECONDS each (default 60): the JSON parser against
# JSONSerialization, the timestamp parser, the policy reader and the snapshot loader (see Fuzz/README.md).
# Built with `swift build --sanitize fuzzer` into .build/fuzz, apart from the ordinary build; FUZZ_TARGETS
# picks targets, FUZZ_ASAN=1 adds AddressSanitizer.
set -eu
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-json timestamp policy snapshot}

# FUZZ_ASAN=1 adds AddressSanitizer (its own build folder): the parsers use unsafe pointers, and an
# out-of-bounds read or write that does not crash is only seen with it.
build=.build/fuzz
sanitizers="--sanitize fuzzer"
if [ "${FUZZ_ASAN:-0}" = 1 ]; then
    build=.build/fuzz-asan
    # Not `--sanitize fuzzer --sanitize address`: swiftc keeps only the last -sanitize= it is given, and the
    # fuzzer would run without its coverage. One combined flag for Swift; clang adds its flags up.
    sanitizers="--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address"
fi
# shellcheck disable=SC2086
KEYAUDIT_FUZZ=1 "$SWIFT" build --build-path "$build" $sanitizers --product keyaudit-fuzz
binary=$build/debug/keyaudit-fuzz

status=0
for target in $TARGETS; do
    # libFuzzer adds what it finds to the first folder; the corpus in the repository is only read.
    work=$build/corpus/$target
    findings=$build/findings/$target
    mkdir -p "$work" "$findings"
    echo "fuzz: $target for ${SECONDS_EACH}s"
    # Swift's own crash reporter would take the signal before libFuzzer could save the input.
    if ! SWIFT_BACKTRACE=enable=no KEYAUDIT_FUZZ_TARGET=$target "$binary" "$work" "Fuzz/corpus/$target" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$findings/" -print_final_stats=1; then
        echo "fuzz: $target found a problem; the input is in $findings/ (replay: KEYAUDIT_FUZZ_TARGET=$target $binary <file>)" >&2
        status=1
    fi
done
exit $status
