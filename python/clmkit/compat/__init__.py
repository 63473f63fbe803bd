"""Compatibility façades over clmkit's engine (``clmkit.compat.lifetimes``)."""
