from __future__ import annotations

import numpy as np

from restoration_core.metrics.damage import Damager, DamageSettings, procedural_shape


def test_procedural_damage_is_reproducible_and_masks_match_changes():
    clean = np.full((120, 160, 3), 30000, np.uint16)
    damager = Damager(DamageSettings(items=4, seed=3))
    a = damager.apply(clean, 5)
    b = damager.apply(clean, 5)
    assert a.data.dtype == np.uint16 and a.data.shape == clean.shape
    assert np.array_equal(a.data, b.data) and np.array_equal(a.mask, b.mask)
    changed = np.abs(a.data.astype(np.int64) - clean).max(axis=2) > 0
    assert a.mask.any() and a.scratch_mask.any()
    assert not (a.mask & ~changed).any()  # every ground-truth pixel was visibly changed
    assert np.array_equal(a.mask, a.scratch_mask | a.spot_mask)
    # a new set of artifacts on the next frame, the scratch only drifts a little
    c = damager.apply(clean, 6)
    assert not np.array_equal(a.spot_mask, c.spot_mask)
    assert abs(damager.scratch_x(5, 160) - damager.scratch_x(6, 160)) <= 0.6 + 1e-6


def test_procedural_shapes_are_nonempty():
    rng = np.random.default_rng(0)
    for _ in range(20):
        kind, alpha = procedural_shape(rng)
        assert kind in {"spots", "dirt", "hair-short"}
        assert alpha.dtype == np.uint8 and alpha.max() > 0


def test_artifact_sheets_are_used_when_given():
    sheet = np.zeros((40, 40), np.uint8)
    sheet[10:30, 18:22] = 255
    damager = Damager(DamageSettings(items=3, line_scratch=False, seed=1), {"spots": [sheet]})
    out = damager.apply(np.full((90, 120), 0.5, np.float32), 0)
    assert out.data.dtype == np.float32
    assert out.spot_mask.any() and not out.scratch_mask.any()
    assert set(out.kinds) == {"spots"}
