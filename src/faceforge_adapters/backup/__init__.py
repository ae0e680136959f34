"""Backups on disk: the backup folder, the SQLite snapshot and restoring into a new home."""
