"""Stub: the fire-detection API (to be written)."""

from ninja import Router

router = Router(tags=["fires"])
