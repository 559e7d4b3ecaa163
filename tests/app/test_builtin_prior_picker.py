"""The prior that ships with the program is offered by the workbench's model picker."""

from __future__ import annotations

from restoration_core.diffusion.registry import builtin_prior_path


def test_the_shipped_prior_is_offered_in_the_model_picker(window):
    insp = window.inspector
    insp.refresh_models()
    i = insp.model.findData(str(builtin_prior_path()))
    assert i > 0, [insp.model.itemText(k) for k in range(insp.model.count())]
    assert insp.model.itemText(i) == "default  (pixel-unet-concat)"
    assert insp.model.model().item(i).isEnabled()
