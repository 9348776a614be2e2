"""Imports every catalog module so that each registers its models."""

from . import basics  # noqa: F401
