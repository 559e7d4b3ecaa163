#!/usr/bin/env bash
# Set everything up, then run the whole test suite (engine, CLI, GUI offscreen) and the
# import-boundary contract (the engine never imports Qt or the GUI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
.venv/bin/lint-imports
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
