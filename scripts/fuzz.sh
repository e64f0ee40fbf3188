#!/usr/bin/env bash
# fuzz.sh runs every Fuzz* target of the given Go packages, one target at a
# time, and reports which targets found a failing input.
#
# Usage (from anywhere in the checkout):
#   scripts/fuzz.sh                      # every package of the module (./...)
#   scripts/fuzz.sh ./hive ./wim         # only these packages
#   FUZZTIME=10m scripts/fuzz.sh ./inf   # longer runs
#
# Environment:
#   FUZZTIME          time per target (go test -fuzztime), default 1m;
#                     a count such as 100000x also works
#   FUZZMINIMIZETIME  bound on minimizing each failing or new input
#                     (go test -fuzzminimizetime), default 5s; minimizing
#                     large inputs dominates slow targets, raise it to
#                     shrink a crasher further
#   FUZZPARALLEL      fuzzing workers per target (go test -parallel),
#                     default: GOMAXPROCS
#   FUZZTARGETS       regular expression: only targets whose name matches
#   FUZZLOGDIR        where full logs go, default a new temporary directory
#   FUZZRETRIES       reruns of a target after a bare deadline flake (see
#                     below), default 2
#
# A target that fails writes its minimized input to
# <package>/testdata/fuzz/<Target>/<hash>; the summary prints that path.
# Commit it once the bug is fixed: plain `go test` then replays it as a
# regression test. New interesting inputs stay in the Go build cache
# ($(go env GOCACHE)/fuzz) and make later runs start from where this one
# stopped.
#
# A target that fails only with Go's "context deadline exceeded" at the end of
# -fuzztime, writing no input (a known engine race, golang/go#51484), is run
# again, up to FUZZRETRIES times (default 2); any other failure counts at once.
#
# Exit status: 0 when every target ran without failure, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-1m}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-5s}"
FUZZTARGETS="${FUZZTARGETS:-.}"
FUZZLOGDIR="${FUZZLOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")}"
FUZZRETRIES="${FUZZRETRIES:-2}"
mkdir -p "$FUZZLOGDIR"

extra=()
if [ -n "${FUZZPARALLEL:-}" ]; then extra+=(-parallel "$FUZZPARALLEL"); fi

if [ $# -eq 0 ]; then set -- ./...; fi
mapfile -t pkgs < <(go list "$@")

ran=0
failed=()
summary=()
for pkg in "${pkgs[@]}"; do
  if ! listing=$(go test -list '^Fuzz' "$pkg" 2>&1); then
    echo "FAIL $pkg: cannot list fuzz targets:"; echo "$listing"
    failed+=("$pkg (does not build)")
    continue
  fi
  mapfile -t targets < <(grep '^Fuzz' <<<"$listing" | grep -E -- "$FUZZTARGETS" || true)
  for target in "${targets[@]}"; do
    [ -n "$target" ] || continue
    ran=$((ran + 1))
    log="$FUZZLOGDIR/$(tr '/' '_' <<<"$pkg")_$target.log"
    dir=$(go list -f '{{.Dir}}' "$pkg")
    before=$(ls "$dir/testdata/fuzz/$target" 2>/dev/null | sort || true)
    echo "--- $pkg $target ($FUZZTIME)"
    status=ok
    retried=""
    fuzz_once() {
      go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" \
        -fuzzminimizetime "$FUZZMINIMIZETIME" "${extra[@]}" "$pkg" >"$log" 2>&1
    }
    # deadline_flake: the run in $log failed only with Go's bare "context
    # deadline exceeded" at the end of -fuzztime, a worker still mid-call
    # (golang/go#51484, #75804): nothing found, no input written, no test
    # error, no panic.
    deadline_flake() {
      local after
      after=$(ls "$dir/testdata/fuzz/$target" 2>/dev/null | sort || true)
      [ "$after" = "$before" ] && grep -q 'context deadline exceeded' "$log" &&
        ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
    }
    # Only such a run is repeated, at most FUZZRETRIES times; any other
    # failure fails at once.
    attempt=0
    until fuzz_once; do
      status=FAIL
      if [ "$attempt" -ge "$FUZZRETRIES" ] || ! deadline_flake; then break; fi
      attempt=$((attempt + 1))
      cp "$log" "$log.flake$attempt"
      echo "    deadline flake (log: $log.flake$attempt); running $target again"
      retried=" (run $((attempt + 1)) times: deadline flakes before)"
      status=ok
    done
    # The last progress line holds the totals, e.g.
    # "fuzz: elapsed: 1m0s, execs: 123456 (0/sec), new interesting: 7 (total: 40)";
    # its rate is that of the last interval, so print the average instead.
    stats=$(grep -E '^fuzz: elapsed: .*execs' "$log" | tail -n 1 | awk '{
      sub(/^fuzz: /, ""); el = $2; sub(/,$/, "", el); n = $4; sub(/,$/, "", n)
      secs = 0; rest = el
      while (match(rest, /^[0-9.]+[hms]/)) {
        v = substr(rest, 1, RLENGTH - 1); u = substr(rest, RLENGTH, 1)
        secs += v * (u == "h" ? 3600 : u == "m" ? 60 : 1); rest = substr(rest, RLENGTH + 1)
      }
      sub(/ \([0-9]+\/sec\)/, sprintf(" (%d/sec on average)", secs > 0 ? n / secs : 0)); print
    }' || true)
    line="$status $pkg $target: ${stats:-no progress line}$retried"
    if [ "$status" = FAIL ]; then
      after=$(ls "$dir/testdata/fuzz/$target" 2>/dev/null | sort || true)
      new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d' || true)
      if [ -n "$new" ]; then
        line+=" | new failing input: $(sed "s|^|${dir#"$PWD"/}/testdata/fuzz/$target/|" <<<"$new" | paste -sd' ')"
      fi
      failed+=("$pkg $target")
      grep -E -A12 -e '--- FAIL' -e '^\s+\S+_test\.go:[0-9]+' -e 'panic:' "$log" | head -n 40 || tail -n 40 "$log"
      echo "    full log: $log"
    fi
    echo "$line"
    summary+=("$line")
  done
done

echo
echo "=== fuzz summary ($ran targets, $FUZZTIME each; logs in $FUZZLOGDIR)"
printf '%s\n' "${summary[@]+"${summary[@]}"}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "=== ${#failed[@]} failed:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "=== no failures"
