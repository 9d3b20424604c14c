"""Public pages that belong to no other area: home, privacy notice, language, health, /data/."""

from portal.main.views import bp

__all__ = ["bp"]
