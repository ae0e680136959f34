"""Resumable uploads: bytes arrive in pieces over many requests, then go through the normal ingest."""
