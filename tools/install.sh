#!/usr/bin/env bash
# Creates (or reuses) .venv and installs the pinned unibench stack into it.
# A second run skips every step that is already done. mmcv 2.1.0 has no wheel for
# torch 2.14, so it is built once from the sdist (with ops, C++20) and cached outside
# the repository in ${XDG_CACHE_HOME:-$HOME/.cache}/unibench/wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
VENV=${UNIBENCH_VENV:-.venv}
TORCH=2.14.1; TORCHVISION=0.29.1; MMCV=2.1.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/unibench/wheels"

step() { printf '\n[unibench install] %s\n' "$*"; }
fail() {
  printf '\n[unibench install] FAILED at step: %s\n  %s\n' "$CURRENT" "$1" >&2
  exit 1
}
trap 'fail "see the output above; fix it and run the same command again (finished steps are skipped)."' ERR

CURRENT="python"
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || fail "Python 3.11 is required (set PYTHON=/path/to/python3.11)."

STAMP_SRC="$(cat requirements/*.txt tools/install.sh setup.cfg 2>/dev/null | sha1sum | cut -c1-12)"
if [ -f "$VENV/.unibench-stamp" ] && [ "$(cat "$VENV/.unibench-stamp")" = "$STAMP_SRC" ]; then
  exit 0  # everything pinned is already installed
fi

CURRENT="virtual environment"
if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP="$(cd "$VENV" && pwd)/bin/python -m pip"
VPY="$(cd "$VENV" && pwd)/bin/python"

CURRENT="build tools and torch"
step "setuptools<82 (pkg_resources), torch==$TORCH, torchvision==$TORCHVISION"
$PIP install -q 'setuptools>=77,<82' wheel ninja "torch==$TORCH" "torchvision==$TORCHVISION"

CURRENT="mmcv $MMCV with ops"
if ! $VPY -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV'" 2>/dev/null; then
  CUDA_TAG=$($VPY -c 'import torch; print("cu" + torch.version.cuda.replace(".", "") if torch.cuda.is_available() else "cpu")')
  KEY="py311-torch$TORCH-mmcv$MMCV-$CUDA_TAG"
  mkdir -p "$CACHE/$KEY"
  WHEEL=$(ls "$CACHE/$KEY"/mmcv-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$WHEEL" ]; then
    step "building mmcv $MMCV with ops from source for $KEY (about 9 minutes on 2 cores; cached afterwards)"
    BUILD=$(mktemp -d)
    $PIP download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-$MMCV.tar.gz -C "$BUILD"
    # torch 2.14 headers need C++20; mmcv 2.1.0 hard-codes C++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$BUILD/mmcv-$MMCV/setup.py"
    if [ "$CUDA_TAG" != cpu ]; then export FORCE_CUDA=1; fi
    (cd "$BUILD/mmcv-$MMCV" && MMCV_WITH_OPS=1 MAX_JOBS=$(nproc) \
      "$VPY" -m pip wheel -v --no-deps --no-build-isolation . -w "$BUILD/dist" \
      > "$BUILD/build.log" 2>&1) || { tail -n 40 "$BUILD/build.log"; fail "mmcv build failed; full log: $BUILD/build.log"; }
    # Publish atomically so an interrupted build never leaves a half-written wheel in the cache.
    built=$(ls "$BUILD"/dist/mmcv-*.whl)
    cp "$built" "$CACHE/$KEY/.tmp-$(basename "$built")"
    mv "$CACHE/$KEY/.tmp-$(basename "$built")" "$CACHE/$KEY/$(basename "$built")"
    WHEEL="$CACHE/$KEY/$(basename "$built")"
    rm -rf "$BUILD"
  else
    step "reusing cached mmcv wheel $WHEEL"
  fi
  $PIP install -q --no-deps "$WHEEL"
fi

CURRENT="OpenMMLab and the rest of the stack"
step "mmengine, mmdet, mmsegmentation, timm, pycocotools, pandas, matplotlib, open-clip-torch, ..."
$PIP install -q -r requirements/runtime.txt -r requirements/tests.txt
# panopticapi-lite provides the 'panopticapi' module mmdet's PQ metric imports; its numpy<2 pin is needless.
$PIP install -q --no-deps panopticapi-lite

CURRENT="unibench (editable)"
$PIP install -q --no-deps --no-build-isolation -e .
$VPY -c "import unibench, mmcv.ops, mmdet, mmseg, panopticapi; print('[unibench install] ok: unibench', unibench.__version__)"
echo "$STAMP_SRC" > "$VENV/.unibench-stamp"
