"""Fixtures for every portal test module (each area's own helpers live in its *_support.py)."""

from tests.portal.staff_support import make_staff, staff_client

__all__ = ["make_staff", "staff_client"]
