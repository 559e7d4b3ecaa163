#!/usr/bin/env bash
# Set up everything Reelwright needs on a fresh Debian/Ubuntu machine with Python 3.11:
# the Debian libraries Qt and the screenshot tooling need, a virtual environment in .venv,
# torch (the CPU build where no NVIDIA GPU is present), and the project with its dev extras.
# Safe to run again: each step is skipped when it is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

APT_PACKAGES=(
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxrender1 libxi6
  xvfb xauth fonts-dejavu-core
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi

stamp=".venv/.bootstrap-$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      echo "bootstrap: NVIDIA GPU found, installing the CUDA build of torch"
      .venv/bin/python -m pip install -q torch
    else
      echo "bootstrap: no NVIDIA GPU, installing the CPU build torch==2.13.0"
      .venv/bin/python -m pip install -q torch==2.13.0
    fi
  fi
  echo "bootstrap: installing reelwright and its dependencies"
  .venv/bin/python -m pip install -q -e ".[dev,cluster]"
  rm -f .venv/.bootstrap-*
  touch "$stamp"
fi
