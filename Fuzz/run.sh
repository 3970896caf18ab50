#!/bin/bash
# Runs each fuzz target under libFuzzer for FUZZ_SECONDS seconds (default 60), from its corpus in
# OUT/corpus/TARGET (seeded by Fuzz/seed.py, grown by every run), and prints per target the
# executions, executions per second, coverage and whether it found anything. A finding leaves its
# input in OUT/crashes/ and the log in OUT/logs/; the script then exits 1.
#   Fuzz/run.sh BINARY OUT [TARGET…]      (FUZZ_SECONDS, FUZZ_RUNS to stop after N executions)
set -u
binary=$1 out=$2
shift 2
targets=${*:-message provider-file expression configuration recipients webhook response smtp-reply mime-header mime-message}
seconds=${FUZZ_SECONDS:-60}
mkdir -p "$out/crashes" "$out/logs"
found=0
printf '%-14s %12s %9s %7s %7s  %s\n' target executions exec/s cov ft result
for target in $targets; do
    log="$out/logs/$target.log"
    # The Swift backtracer must stay off under ASan: it hangs on a crashing fuzzer.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        LSAN_OPTIONS=suppressions="$(dirname "$0")/lsan-suppressions.txt" \
        timeout -s KILL $((seconds + 300)) "$binary" "$target" "$out/corpus/$target" \
        -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$out/crashes/$target-" >"$log" 2>&1
    status=$?
    stat() { grep -o "stat::$1: *[0-9]*" "$log" | grep -o '[0-9]*$' | tail -1; }
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    result=ok
    if [ "$status" -ne 0 ]; then
        result="FOUND (exit $status): $(ls -t "$out/crashes/$target-"* 2>/dev/null | head -1)"
        found=1
    fi
    printf '%-14s %12s %9s %7s %7s  %s\n' "$target" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
        "${coverage:-?}" "${features:-?}" "$result"
done
exit $found
