"""Renderers: pure ``Result → str``, byte-identical for the same result (stage: render)."""
