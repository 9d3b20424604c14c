"""Lantern publisher: closed cases → anonymized, validated, versioned open-data releases."""
