#!/usr/bin/env bash
# Builds the parse-and-sanitize fuzz target (libFuzzer, stable Rust) and runs it for a bounded
# time. Exits non-zero when the fuzzer finds a crash (a panic, a broken invariant, a timeout or
# running out of memory); the input that caused it is left in the artifacts directory.
#
#   tests/fuzz/run.sh [SECONDS] [-- LIBFUZZER-ARGS...]   fuzz for SECONDS (default 60)
#   tests/fuzz/run.sh repro FILE...                       run the target once on each FILE
#   tests/fuzz/run.sh build                               only build
#
# Environment:
#   FUZZ_TARGET_DIR  cargo target directory for the instrumented build
#                    (default: ${CARGO_TARGET_DIR:-<repo>/target}/fuzz; kept apart from the
#                    normal build because the RUSTFLAGS differ)
#   FUZZ_WORK_DIR    where the growing corpus, crash artifacts and logs go
#                    (default: tests/fuzz/work, ignored by git)
#   FUZZ_RUSTFLAGS   extra RUSTFLAGS for the instrumented build
#   FUZZ_DEP_ASSERTIONS=1  build third-party crates with debug assertions and overflow checks
#                    too (as a debug build of the app has them; a separate, slow build)
#   TERN_FUZZ_STRICT=1  also assert the sanitizer's documented idempotence (see the target)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target_name=parse_and_sanitize
target_dir="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$repo/target}/fuzz}"
work="${FUZZ_WORK_DIR:-$here/work}"
seeds="$here/corpus/$target_name"
regressions="$here/regressions"
corpus="$work/corpus/$target_name"
artifacts="$work/artifacts/$target_name"

mode=fuzz
duration=60
case "${1:-}" in
  repro) mode=repro; shift ;;
  build) mode=build; shift ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
  ''|--) ;;
  *)
    if [[ "$1" =~ ^[0-9]+$ ]]; then duration="$1"; shift
    else echo "run.sh: expected a number of seconds, 'repro' or 'build', got '$1'" >&2; exit 2; fi ;;
esac
[ "${1:-}" = "--" ] && shift

host="$(rustc -vV | sed -n 's/^host: //p')"
# Sanitizer coverage without -Zsanitizer: everything here is stable rustc. Passing --target
# keeps these flags off build scripts and proc macros (they are not linked with libFuzzer).
# Debug assertions and overflow checks are set per crate in Cargo.toml's release profile.
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing -Cforce-frame-pointers=yes ${FUZZ_RUSTFLAGS:-}"
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS
profile=()
if [ "${FUZZ_DEP_ASSERTIONS:-0}" != 0 ]; then
  profile=(--config 'profile.release.package."*".debug-assertions=true'
           --config 'profile.release.package."*".overflow-checks=true')
  target_dir="$target_dir-dep-assertions"
fi

echo "run.sh: building $target_name into $target_dir"
build_start=$(date +%s)
cargo build "${profile[@]}" --release --manifest-path "$here/Cargo.toml" --target "$host" \
  --target-dir "$target_dir" --bin "$target_name"
echo "run.sh: build took $(( $(date +%s) - build_start )) s"
bin="$target_dir/$host/release/$target_name"
[ "$mode" = build ] && exit 0

export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
if [ "$mode" = repro ]; then
  [ "$#" -gt 0 ] || { echo "run.sh repro: give one or more input files" >&2; exit 2; }
  exec "$bin" -rss_limit_mb=2048 -timeout=10 "$@"
fi

mkdir -p "$corpus" "$artifacts"
dirs=("$corpus" "$seeds")
# Inputs that once crashed: replayed at start-up on every run (read-only, like the seeds).
if compgen -G "$regressions/*" >/dev/null; then dirs+=("$regressions"); fi
log="$work/$target_name-$(date +%Y%m%d-%H%M%S).log"

echo "run.sh: fuzzing for $duration s (log: $log)"
set +e
"$bin" -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -dict="$here/$target_name.dict" -artifact_prefix="$artifacts/" \
  "$@" "${dirs[@]}" 2>&1 | tee "$log" | grep -Ev '^#[0-9]+[[:space:]]+(NEW|REDUCE)|^".*" # Uses: |^###### '
status=${PIPESTATUS[0]}
set -e

last="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")"
echo "run.sh: ${runs:-?} runs in $duration s (${speed:-?} exec/s), coverage: ${cov:-?} edges," \
  "${ft:-?} features, corpus ${corp:-?}"
if [ "$status" -ne 0 ]; then
  echo "run.sh: the fuzzer FAILED (exit $status). Input(s):" >&2
  grep -E 'Test unit written to|^artifact_prefix' "$log" >&2 || true
  echo "run.sh: reproduce with: $0 repro <file>; keep the file in tests/fuzz/regressions/" >&2
  exit "$status"
fi
