#!/usr/bin/env bash
# Multi-process evaluation with torchrun: bash tools/dist_test.sh CONFIG CKPT NUM_PROCS [test.py args]
exec bash "$(dirname "$0")/dist_run.sh" test.py "$3" "$1" "$2" --launcher pytorch "${@:4}"
