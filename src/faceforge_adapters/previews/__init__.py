"""Previews of stored files: decoders run in child processes, a pool of them, and the renderer port.

Core's process never decodes an untrusted file: ``worker`` does, one file at a time, under limits;
``pool`` keeps a few workers and replaces one that crashed or hung; ``renderer`` is the
``PreviewRenderer`` Core uses.
"""
