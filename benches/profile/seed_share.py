#!/usr/bin/env python3
"""Where a sweep seed's time goes, from a perf profile with call graphs.

    perf record -F 15000 --call-graph dwarf,16384 -o seed.perf \
        target/release/drainsim sweep scenarios/drain/seed-min50-max200.ron --seeds 0..20000 --jobs 1
    perf script -i seed.perf | python3 benches/profile/seed_share.py

Each sample is put in the first class whose function is on its stack, in this order: the end-of-run
invariant check, the engine's events (`Engine::run_instant`), the engine's requests
(`Engine::submit*`, `Engine::handle*`, `Engine::new`, `Engine::create_cluster`), the scenario
layer's expectations, the engine's drop, the scenario setup, the rest of the run, the sweep's facts.
"Simulation" is the engine's two classes: the work ECS itself would do for the requests and the
timed events. Release builds need `debug = 1` (the workspace sets it) for the call graphs.
"""
import sys

CLASSES = [
    ("invariant check (end of run)", ("check_invariants",)),
    ("engine: events", ("Engine::run_instant",)),
    ("engine: requests", ("Engine::submit", "Engine::handle", "Engine::create_cluster", "Engine::new")),
    ("scenario: expectations", ("expect::",)),
    ("drop of the engine", ("drop_in_place<drainsim_scenario::outcome::RunOutcome", "drop_in_place<drainsim_core::engine::Engine")),
    ("scenario: setup", ("setup::",)),
    ("scenario: rest of the run", ("run_inner",)),
    ("sweep: facts and aggregate", ("run_facts", "aggregate")),
]


def classify(stack):
    text = " ".join(stack)
    for name, needles in CLASSES:
        if any(n in text for n in needles):
            return name
    return "outside a run (process, threads)"


def main():
    counts, total, stack = {}, 0, []

    def flush():
        nonlocal total
        if stack:
            total += 1
            k = classify(stack)
            counts[k] = counts.get(k, 0) + 1

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            stack.clear()
        elif line[0] in " \t":
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                stack.append(parts[1])
    flush()
    if total == 0:
        sys.exit("no samples on stdin (pipe `perf script` into this)")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{100 * n / total:5.1f} %  {name}")
    sim = sum(counts.get(k, 0) for k in ("engine: events", "engine: requests"))
    print(f"{100 * sim / total:5.1f} %  simulation (engine requests and events) of {total} samples")


if __name__ == "__main__":
    main()
