#!/usr/bin/env bash
# Set everything up, then run the whole test suite (engine, CLI, GUI offscreen) and the
# import-boundary contract (the engine never imports Qt or the GUI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
.venv/bin/lint-imports
# A hard ceiling for the whole run (it takes a few minutes): a test stuck where pytest-timeout's
# signal cannot reach it (inside a native event loop) must not hold CI for its full hour and a half.
set +e
timeout --kill-after=30 "${REELWRIGHT_TEST_LIMIT_S:-1800}" .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  echo "test.sh: the test run passed its ${REELWRIGHT_TEST_LIMIT_S:-1800} s limit and was stopped" >&2
fi
exit "$rc"
