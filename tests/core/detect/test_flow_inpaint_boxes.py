"""The flow pictures' inpainting in boxes around the damage equals Telea on the whole picture."""

import cv2
import numpy as np

from restoration_core.detect.flow import INPAINT_RADIUS, _inpainted


def test_inpainting_in_boxes_matches_the_whole_picture():
    rng = np.random.default_rng(5)
    luma = cv2.GaussianBlur((rng.random((180, 320)) * 255).astype(np.uint8), (0, 0), 2)
    for trial in range(12):
        damage = np.zeros(luma.shape, np.uint8)
        for _ in range(int(rng.integers(1, 9))):
            y, x = int(rng.integers(0, 180)), int(rng.integers(0, 320))
            damage[y: y + int(rng.integers(1, 25)), x: x + int(rng.integers(1, 15))] = 1
        if trial % 4 == 0:
            damage[:, 100:103] = 1  # a line from top to bottom
        damage[0, 0] = trial % 2  # at the frame's corner
        damage = cv2.dilate(damage, np.ones((5, 5), np.uint8))
        whole = cv2.inpaint(luma, damage, INPAINT_RADIUS, cv2.INPAINT_TELEA)
        assert np.array_equal(_inpainted(luma, damage), whole), trial
    assert _inpainted(luma, np.zeros(luma.shape, np.uint8)) is luma
