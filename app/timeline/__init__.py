"""Timeline: ruler, playhead, thumbnails, defect density, flicker, clips; transport and playback."""
