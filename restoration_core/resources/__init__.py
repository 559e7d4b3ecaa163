"""Data files shipped inside the package: export presets, icons, the stylesheet."""
