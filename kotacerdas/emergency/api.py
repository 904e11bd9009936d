"""Placeholder router: replaced by the real API."""

from ninja import Router

router = Router()
