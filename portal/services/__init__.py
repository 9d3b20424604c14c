"""Typed domain operations.

No request, session or current-user globals: the actor and the clock are arguments.
"""
