"""Views of staff sign-in (filled in by the staff accounts work)."""
