"""Views of the complaint form (filled in by the intake work)."""
