#!/usr/bin/env bash
# Set everything up, then open the workbench on a damaged sample reel the program makes itself.
# Extra arguments go to `reelwright gui` (e.g. a reel or project path instead of the sample).
# Without a display (a headless server), it renders the window offscreen to
# out/workbench.png and exits, so the run can still be checked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export HF_HUB_OFFLINE=1
if [ $# -eq 0 ]; then set -- --sample; fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  mkdir -p out
  echo "run: no display found; rendering the workbench offscreen to out/workbench.png"
  QT_QPA_PLATFORM=offscreen exec .venv/bin/reelwright gui "$@" --screenshot out/workbench.png
fi
exec .venv/bin/reelwright gui "$@"
