#!/usr/bin/env bash
# Build the self-contained Linux app folder dist/reelwright/ with PyInstaller.
#   scripts/build_bundle.sh            # uses .venv (created by the README's setup command)
# Result: dist/reelwright/reelwright (run it; no Python needed on the target machine), plus
# dist/reelwright/install-desktop-entry.sh to add the menu entry and icon for the current user.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
"$PY" -m PyInstaller --version >/dev/null 2>&1 || "$PY" -m pip install "pyinstaller>=6"
"$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/reelwright.spec
APP="$ROOT/dist/reelwright"
cat > "$APP/install-desktop-entry.sh" <<'SH'
#!/usr/bin/env bash
# Add Reelwright to the desktop menu of the current user (pointing at this folder).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$DATA/applications" "$DATA/icons/hicolor/scalable/apps" "$DATA/icons/hicolor/256x256/apps" "$DATA/metainfo"
INTERNAL="$HERE/_internal"
sed "s|^Exec=reelwright|Exec=$HERE/reelwright|; s|^TryExec=reelwright|TryExec=$HERE/reelwright|" \
  "$INTERNAL/share/applications/org.reelwright.Reelwright.desktop" > "$DATA/applications/org.reelwright.Reelwright.desktop"
cp "$INTERNAL/restoration_core/resources/icons/reelwright.svg" "$DATA/icons/hicolor/scalable/apps/reelwright.svg"
cp "$INTERNAL/restoration_core/resources/icons/reelwright.png" "$DATA/icons/hicolor/256x256/apps/reelwright.png"
cp "$INTERNAL/share/metainfo/org.reelwright.Reelwright.metainfo.xml" "$DATA/metainfo/"
echo "installed: $DATA/applications/org.reelwright.Reelwright.desktop"
SH
chmod +x "$APP/install-desktop-entry.sh"
"$APP/reelwright" --version
echo "built: $APP"
