#!/usr/bin/env bash
# A unibench tool in NUM_PROCS processes with torchrun, for dist_train.sh and dist_test.sh:
# bash tools/dist_run.sh TOOL NUM_PROCS [TOOL args]. NNODES, NODE_RANK, PORT, MASTER_ADDR and
# PYTHON (default: the repository's .venv) come from the environment.
TOOL=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-"$(dirname "$0")/../.venv/bin/python"}
[ -x "$PYTHON" ] || PYTHON=python

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$(dirname "$0")/$TOOL" "${@:3}"
