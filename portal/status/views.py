"""Views of the status lookup (filled in by the status work)."""
