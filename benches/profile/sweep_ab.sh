#!/bin/bash
# Time a sweep seed of scenarios/drain/seed-min50-max200.ron, one worker thread, for one or more
# drainsim binaries, alternating them round by round so that the machine's drift hits all alike:
#
#     benches/profile/sweep_ab.sh target/release/drainsim                # one build
#     benches/profile/sweep_ab.sh /tmp/drainsim-before target/release/drainsim
#
# ROUNDS (default 7) sweeps of SEEDS (default 10000) seeds per binary; prints each binary's median
# and fastest wall time per seed in microseconds. Wall time of the whole process: parsing the
# scenario once is part of it (about 1 ms, under 1 % at 10,000 seeds).
set -eu
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-7}
SEEDS=${SEEDS:-10000}
[ $# -ge 1 ] || { echo "usage: $0 BINARY [BINARY...]" >&2; exit 2; }
for _ in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    start=$(date +%s%N)
    "$bin" sweep scenarios/drain/seed-min50-max200.ron --seeds "0..$SEEDS" --jobs 1 >/dev/null
    end=$(date +%s%N)
    echo "$bin $(( (end - start) / SEEDS ))"
  done
done | python3 -c '
import collections, statistics, sys
ns = collections.defaultdict(list)
for line in sys.stdin:
    binary, per_seed = line.split()
    ns[binary].append(int(per_seed) / 1000)
for binary, v in ns.items():
    print(f"{binary}: median {statistics.median(v):.2f} µs a seed, fastest {min(v):.2f} ({len(v)} sweeps)")
'
