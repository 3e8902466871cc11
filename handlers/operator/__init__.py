"""Operator-facing features."""
