"""Views of the staff area (filled in by the back-office work)."""
