"""Telling file formats from their first bytes: one module per container family, pure and bounds-checked.

Each probe takes the head of a file (``filetypes.SNIFF_BYTES`` at most) and answers a MIME type or
``None``; none of them raises on any input, however short or malformed. ``filetypes.sniff_mime``
asks them in turn.
"""
