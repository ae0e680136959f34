"""Integrity of the live store: re-hash what is stored, find what is missing or out of place, repair."""
