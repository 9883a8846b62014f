#!/usr/bin/env bash
# Runs `align4j bench` and the PyTorch script on the same shapes, one after the other, and prints both JSON
# lines with the machine, the date and the load average, for docs/BENCHMARKS.md.
# Needs Debian's PyTorch: apt-get install python3-torch libopenblas0-pthread (then /usr/bin/python3).
# Extra arguments go to both (e.g. --d 512 --layers 8 --seq 512).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; date: $(date -u +%F); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "align4j: $(./align4j bench --json "$@")"
echo "pytorch: $(/usr/bin/python3 bench/torch_cpu_bench.py --threads "$(nproc)" "$@")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
