"""Backups of a whole library: a database snapshot, the blobs it references and a manifest."""
