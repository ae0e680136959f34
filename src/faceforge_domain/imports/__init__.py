"""Bulk import of folders: pure planning (which files, which sidecars) and the job that runs a plan."""
