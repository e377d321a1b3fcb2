#!/bin/sh
# Runs keyaudit's fuzz targets under libFuzzer for FUZZ_SECONDS each (default 60): the JSON parser against
# JSONSerialization, the timestamp parser, the policy reader and the snapshot loader (see Fuzz/README.md).
# Built with `swift build --sanitize fuzzer` into .build/fuzz, apart from the ordinary build.
set -eu
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-json timestamp policy snapshot}

KEYAUDIT_FUZZ=1 "$SWIFT" build --build-path .build/fuzz --sanitize fuzzer --product keyaudit-fuzz
binary=.build/fuzz/debug/keyaudit-fuzz

status=0
for target in $TARGETS; do
    # libFuzzer adds what it finds to the first folder; the corpus in the repository is only read.
    work=.build/fuzz/corpus/$target
    findings=.build/fuzz/findings/$target
    mkdir -p "$work" "$findings"
    echo "fuzz: $target for ${SECONDS_EACH}s"
    if ! KEYAUDIT_FUZZ_TARGET=$target "$binary" "$work" "Fuzz/corpus/$target" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$findings/" -print_final_stats=1; then
        echo "fuzz: $target found a problem; the input is in $findings/ (replay: KEYAUDIT_FUZZ_TARGET=$target $binary <file>)" >&2
        status=1
    fi
done
exit $status
