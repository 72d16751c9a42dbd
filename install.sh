#!/usr/bin/env bash
# Install avsim and what it needs on a fresh Debian/Ubuntu machine (no GPU needed).
#   ./install.sh            system libraries for headless rendering (Mesa EGL, OSMesa) + the
#                           package with its test extra, editable, into the current Python.
#   ./install.sh --dev      also the trainer, diffusion, ray, shards, video and meshes extras (torch, diffusers, ray,
#                           webdataset, datasets ...), as CI
#                           runs them, and chromium + chromium-driver (the headless-browser test
#                           of `simulate preview`). If torch is not installed yet, the CPU build 2.13.0 is
#                           taken; on a GPU machine install the torch build for your CUDA first.
# Further pip arguments are passed on, e.g. ./install.sh --user
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 libosmesa6"
[ "${1:-}" = "--dev" ] && APT_PACKAGES="$APT_PACKAGES chromium chromium-driver"
missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install.sh: installing system packages:$missing" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

EXTRAS="test"
TORCH=""
if [ "${1:-}" = "--dev" ]; then
  shift
  EXTRAS="test,trainer,diffusion,ray,shards,video,meshes"
  # pinned in the same resolve, so pip never pulls a multi-GB CUDA build nor replaces an installed torch
  python3 -c "import torch" 2>/dev/null || TORCH="torch==2.13.0"
fi
python3 -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]" $TORCH "$@"
