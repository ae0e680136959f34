"""Semantic versions (semver 2.0.0) and the version ranges plugins use for ``core_compat``.

Pure and small on purpose. Ranges follow the npm conventions plugin authors already know:
``*``, ``1.2.3``, ``=1.2.3``, ``>1.2``, ``>=1.2.3 <2``, ``^1.2.3``, ``~1.2``, ``1.x``, ``1.2.3 - 1.4``,
alternatives joined with ``||``. A pre-release version matches only a comparator set that names a
pre-release of the same major.minor.patch, so ``^1.0.0`` never silently admits ``2.0.0-beta``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import total_ordering

_NUM = r"0|[1-9]\d*"
_IDENT = r"[0-9A-Za-z-]+"
_VERSION = re.compile(
    rf"^v?(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?$"
)
_PARTIAL = re.compile(
    rf"^v?(?P<major>{_NUM}|[xX*])(?:\.(?P<minor>{_NUM}|[xX*])(?:\.(?P<patch>{_NUM}|[xX*])"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+{_IDENT}(?:\.{_IDENT})*)?)?)?$"
)
_COMPARATOR = re.compile(r"^(?P<op><=|>=|<|>|=|\^|~)?\s*(?P<version>\S+)$")
_WILDCARDS = frozenset({"x", "X", "*"})


class SemverError(ValueError):
    """A version or range that does not parse; the message says what was expected."""


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    """A semver 2.0.0 version; ordering follows the spec's precedence (build metadata is ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str | int, ...] = ()
    build: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(part) for part in self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def _key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after all of its pre-releases; numeric identifiers sort before alphanumeric.
        parts = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.prerelease)
        return (self.core, 0 if self.prerelease else 1, parts)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()


def _prerelease(text: str | None) -> tuple[str | int, ...]:
    if not text:
        return ()
    parts: list[str | int] = []
    for part in text.split("."):
        if part.isdigit():
            if len(part) > 1 and part.startswith("0"):
                raise SemverError(f"numeric pre-release identifier {part!r} has a leading zero")
            parts.append(int(part))
        else:
            parts.append(part)
    return tuple(parts)


def parse_version(text: str) -> Version:
    """Parse ``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`` (a leading ``v`` is tolerated)."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise SemverError(f"{text!r} is not a semantic version like 1.2.3 or 1.2.3-beta.1")
    build = match["build"]
    return Version(
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
        _prerelease(match["pre"]),
        tuple(build.split(".")) if build else (),
    )


@dataclass(frozen=True, slots=True)
class Comparator:
    op: str  # one of < <= > >= =
    version: Version

    def test(self, version: Version) -> bool:
        if self.op == "<":
            return version < self.version
        if self.op == "<=":
            return version <= self.version
        if self.op == ">":
            return version > self.version
        if self.op == ">=":
            return version >= self.version
        return version == self.version

    def __str__(self) -> str:
        return f"{self.op}{self.version}"


@dataclass(frozen=True, slots=True)
class Range:
    """Alternatives (``||``) of comparator sets; a version matches when every comparator of one set does."""

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    def contains(self, version: Version) -> bool:
        return any(_set_contains(comparators, version) for comparators in self.alternatives)

    def __str__(self) -> str:
        return self.text


def _set_contains(comparators: tuple[Comparator, ...], version: Version) -> bool:
    if not all(c.test(version) for c in comparators):
        return False
    if not version.prerelease:
        return True
    return any(c.version.prerelease and c.version.core == version.core for c in comparators)


@dataclass(frozen=True, slots=True)
class _Partial:
    """A version with possibly missing (wildcard) parts: ``1``, ``1.2``, ``1.x``, ``1.2.3-rc.1``."""

    major: int | None
    minor: int | None
    patch: int | None
    prerelease: tuple[str | int, ...]

    def floor(self) -> Version:
        return Version(self.major or 0, self.minor or 0, self.patch or 0, self.prerelease)


def _part(text: str | None) -> int | None:
    return None if text is None or text in _WILDCARDS else int(text)


def _parse_partial(text: str) -> _Partial:
    match = _PARTIAL.fullmatch(text)
    if match is None:
        raise SemverError(f"{text!r} is not a version or a partial version like 1, 1.2 or 1.x")
    major, minor, patch = _part(match["major"]), _part(match["minor"]), _part(match["patch"])
    if (major is None and (minor is not None or patch is not None)) or (minor is None and patch is not None):
        raise SemverError(f"{text!r} has a number after a wildcard")
    return _Partial(major, minor, patch, _prerelease(match["pre"]))


def _lower(version: Version) -> Version:
    """The lowest pre-release of a version: a bound that excludes its pre-releases."""
    return Version(version.major, version.minor, version.patch, (0,))


def _desugar(op: str, p: _Partial) -> list[Comparator]:
    """Turn one written comparator into plain ``< <= > >= =`` comparators."""
    if p.major is None:
        return [] if op in ("", "=", ">=", "<=", "^", "~") else [Comparator("<", Version(0, 0, 0, (0,)))]
    lo = p.floor()
    if op == "^":
        if p.major > 0 or p.minor is None:
            hi = Version(p.major + 1, 0, 0)
        elif p.minor > 0 or p.patch is None:
            hi = Version(0, p.minor + 1, 0)
        else:
            hi = Version(0, 0, p.patch + 1)
        return [Comparator(">=", lo), Comparator("<", _lower(hi))]
    if op == "~":
        hi = Version(p.major + 1, 0, 0) if p.minor is None else Version(p.major, p.minor + 1, 0)
        return [Comparator(">=", lo), Comparator("<", _lower(hi))]
    if p.minor is None or p.patch is None:  # a partial version is the whole span it names
        hi = Version(p.major + 1, 0, 0) if p.minor is None else Version(p.major, p.minor + 1, 0)
        if op in ("", "="):
            return [Comparator(">=", lo), Comparator("<", _lower(hi))]
        if op == ">":
            return [Comparator(">=", hi)]
        if op == "<=":
            return [Comparator("<", _lower(hi))]
        if op == "<":
            return [Comparator("<", _lower(lo))]
        return [Comparator(">=", lo)]
    return [Comparator(op or "=", lo)]


def _parse_set(text: str) -> tuple[Comparator, ...]:
    text = text.strip()
    hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", text)
    if hyphen:
        low, high = _parse_partial(hyphen[1]), _parse_partial(hyphen[2])
        upper = _desugar("<=", high)
        return (*(_desugar(">=", low) if low.major is not None else []), *upper)
    # "> = 1.2" style spacing between operator and version is allowed.
    tokens = re.sub(r"(<=|>=|<|>|=|\^|~)\s+", r"\1", text).split()
    comparators: list[Comparator] = []
    for token in tokens or ["*"]:
        match = _COMPARATOR.fullmatch(token)
        if match is None:
            raise SemverError(f"{token!r} is not a comparator like >=1.2.3")
        comparators.extend(_desugar(match["op"] or "", _parse_partial(match["version"])))
    return tuple(comparators)


def parse_range(text: str) -> Range:
    """Parse a range; an empty string or ``*`` matches every release."""
    if len(text) > 256:
        raise SemverError("a version range must be at most 256 characters")
    alternatives = tuple(_parse_set(part) for part in text.split("||"))
    return Range(text.strip(), alternatives)


def satisfies(version: str | Version, range_text: str) -> bool:
    """True when ``version`` falls in ``range_text`` (both parsed; bad input raises ``SemverError``)."""
    parsed = parse_version(version) if isinstance(version, str) else version
    return parse_range(range_text).contains(parsed)
