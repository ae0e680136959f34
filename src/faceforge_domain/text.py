"""Rules for text that people read: a name shows something and hides nothing.

A display name (an entity's name, an alias, a tag, a field label, a relation type...) must contain at
least one visible character and no control character: a name made only of zero-width or blank
characters, or one carrying a NUL or an escape sequence, is refused. Free text (a note) may also hold
line breaks and tabs. Search text may hold no control character at all (a NUL would otherwise reach the
database's string functions, which stop at it).

The rules are regular expressions so that the HTTP schema can state exactly what is checked here.
"""

from __future__ import annotations

import re

# Unicode categories Cc (controls), Cf (format: zero-width and direction marks), Zs/Zl/Zp (separators),
# plus letters that render as nothing (Hangul fillers, the blank Braille pattern). Checked against the
# running Python's Unicode tables by a unit test.
_INVISIBLE_RANGES = (
    (0x00, 0x20), (0x7F, 0xA0), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD),
    (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x115F, 0x1160), (0x1680, 0x1680), (0x180E, 0x180E),
    (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064), (0x2066, 0x206F), (0x2800, 0x2800),
    (0x3000, 0x3000), (0x3164, 0x3164), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
INVISIBLE_EXTRA = frozenset({0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0})


def _char(code: int) -> str:
    # BMP characters as \uXXXX (read the same by Python, ECMAScript and Rust regex engines); the few
    # astral ones literally, since ECMAScript has no portable escape for them.
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges)


_CONTROL = _class(((0x00, 0x1F), (0x7F, 0x9F)))
_CONTROL_BUT_LINES = _class(((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F)))
_INVISIBLE = _class(_INVISIBLE_RANGES)

NAME_PATTERN = f"^[^{_CONTROL}]*[^{_INVISIBLE}][^{_CONTROL}]*$"
FREE_TEXT_PATTERN = f"^[^{_CONTROL_BUT_LINES}]*[^{_INVISIBLE}][^{_CONTROL_BUT_LINES}]*$"
SEARCH_PATTERN = f"^[^{_CONTROL}]*$"

NAME_RULE = "must contain a visible character and no control characters"
SEARCH_RULE = "must not contain control characters (such as NUL)"
# Keyed by the pattern's repr, as msgspec quotes it in its validation message.
_RULES = {repr(p): rule for p, rule in ((NAME_PATTERN, NAME_RULE), (FREE_TEXT_PATTERN, NAME_RULE))}
_RULES[repr(SEARCH_PATTERN)] = SEARCH_RULE

_HAS_CONTROL = re.compile(f"[{_CONTROL}]")
_HAS_CONTROL_BUT_LINES = re.compile(f"[{_CONTROL_BUT_LINES}]")
_HAS_VISIBLE = re.compile(f"[^{_INVISIBLE}]")


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` is not a name (or, ``multiline``, free text) a person can read; None when it is."""
    control = _HAS_CONTROL_BUT_LINES if multiline else _HAS_CONTROL
    if control.search(text) or not _HAS_VISIBLE.search(text):
        return NAME_RULE
    return None


def search_problem(text: str) -> str | None:
    return SEARCH_RULE if _HAS_CONTROL.search(text) else None


def rule_for_pattern(quoted: str) -> str | None:
    """The plain-words rule behind one of these patterns, given as ``repr(pattern)`` (msgspec's way)."""
    return _RULES.get(quoted)
