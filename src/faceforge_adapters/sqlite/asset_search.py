"""The asset list's ``q`` as SQL: a substring looked up in the trigram index of search documents
(migration 0015), or, for a text too short for trigrams, a prefix of the file name, make or model sought
in their indexes (0013). Values are always bound."""

from __future__ import annotations

from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.previews import PREVIEW_KIND
from faceforge_domain.queries import fold

# Up to this many candidates, a page reads each match and sorts them; beyond, it walks the order's index
# and tests each row it meets, so it stops at its first matches.
NARROW_SEARCH = 2_000

# The search documents hold each asset's names, make and model, one per line; a search text has no line
# break, so the body's LIKE is exactly the substring rule (ASCII case ignored).
_BODY_LIKE = "d.body LIKE ? ESCAPE '\\'"
# A row's own search document matches (one key lookup): how a broad search tests the rows it walks.
_OWN_DOCUMENT = (
    f"EXISTS (SELECT 1 FROM asset_search_docs AS d WHERE d.asset_id = assets.asset_id AND {_BODY_LIKE})"
)
# The trigram index finds candidates (it folds case beyond ASCII) and the body's LIKE keeps exact matches.
_TRIGRAM_MATCHES = (
    "asset_id IN (SELECT d.asset_id FROM asset_search AS s JOIN asset_search_docs AS d "
    f"ON d.doc_id = s.rowid WHERE asset_search MATCH ? AND {_BODY_LIKE})"
)
# The live-list condition spelled as the partial indexes of migration 0013 spell it.
LIVE = f"deleted_at IS NULL AND NOT (kind = '{PREVIEW_KIND}' AND derived_from_asset_id IS NOT NULL)"
# A short text: the start of the file name, make or model. Each range seeks its NOCASE index (partial on
# the live list, hence the condition in each branch: SQLite plans an OR's branches without the rest of
# the WHERE, so it would scan instead; each names its index, as statistics of a small library can turn the
# planner to a scan); the LIKE beside each range is the exact rule.
_PREFIX_COLUMNS = ("filename", "facts_camera_make", "facts_camera_model")
_PREFIX_INDEXES = ("assets_live_filename", "assets_live_camera_make", "assets_live_camera_model")
_PREFIX_BRANCHES = [
    f"SELECT asset_id FROM assets INDEXED BY {index} WHERE {LIVE} AND {column}{collate} >= ? "
    f"AND {column}{collate} < ? AND {column} LIKE ? ESCAPE '\\'"
    for column, collate, index in zip(
        _PREFIX_COLUMNS, (" COLLATE NOCASE", "", ""), _PREFIX_INDEXES, strict=True
    )
]
_PREFIX_MATCHES = f"asset_id IN ({' UNION ALL '.join(_PREFIX_BRANCHES)})"
# The same rule tested on a row the order's index yields (a broad prefix's walk).
_PREFIX_TEST = "(" + " OR ".join(f"{column} LIKE ? ESCAPE '\\'" for column in _PREFIX_COLUMNS) + ")"


def prefix_count_branches(q: str) -> list[tuple[str, str, list[object]]]:
    """A short text's matches in three disjoint parts, each sought in one index that also holds the
    facts filters' columns (0017), so a total is counted from indexes alone: the make starts with it;
    else the model does; else the file name does. Each part: its index, its condition, its values."""
    low, high = _prefix_range(q)
    pattern = escape_like(q) + "%"
    make, model = (f"coalesce({c} LIKE ? ESCAPE '\\', 0)" for c in _PREFIX_COLUMNS[1:])
    seek = "{0} >= ? AND {0} < ? AND {0} LIKE ? ESCAPE '\\'"
    return [
        ("assets_live_camera_make", seek.format("facts_camera_make"), [low, high, pattern]),
        (
            "assets_live_camera_model",
            f"{seek.format('facts_camera_model')} AND NOT {make}",
            [low, high, pattern, pattern],
        ),
        (
            "assets_live_filename",
            f"{seek.format('filename COLLATE NOCASE')} AND NOT {make} AND NOT {model}",
            [low, high, pattern, pattern, pattern],
        ),
    ]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(query: AssetQuery, *, walk_order: bool) -> tuple[str, list[object]]:
    """The ``q`` condition and its values. ``walk_order``: each row the order's index yields is tested
    on its own (a broad search's page stops after its first matches instead of gathering them all)."""
    q = query.q or ""
    if query.prefix_search:
        pattern = escape_like(q) + "%"
        if walk_order:
            return _PREFIX_TEST, [pattern] * len(_PREFIX_COLUMNS)
        low, high = _prefix_range(q)
        return _PREFIX_MATCHES, [low, high, pattern] * len(_PREFIX_COLUMNS)
    if walk_order:
        return _OWN_DOCUMENT, [_like(q)]
    return _TRIGRAM_MATCHES, text_match_values(q)


def candidates_sql(query: AssetQuery) -> tuple[str, list[object]]:
    """A statement counting the candidates for ``q`` (on the live list) up to one past
    ``NARROW_SEARCH``: more is broad. (A prefix's count may hold an asset twice: it is only a gauge.)"""
    q = query.q or ""
    if query.prefix_search:
        sql = " UNION ALL ".join(b.replace("SELECT asset_id", "SELECT 1", 1) for b in _PREFIX_BRANCHES)
        low, high = _prefix_range(q)
        values: list[object] = [low, high, escape_like(q) + "%"] * len(_PREFIX_COLUMNS)
    else:
        sql, values = "SELECT 1 FROM asset_search WHERE asset_search MATCH ?", [phrase(q)]
    return f"SELECT count(*) FROM ({sql} LIMIT ?)", [*values, NARROW_SEARCH + 1]


# The trigram index's matches, each with its document, and the condition that keeps the exact ones.
_MATCHED_DOCUMENTS = "asset_search AS s CROSS JOIN asset_search_docs AS d ON d.doc_id = s.rowid"
_MATCH = f"WHERE asset_search MATCH ? AND {_BODY_LIKE}"


def text_matches_from(assets: str) -> str:
    """A FROM clause driven by the trigram index's matches, each joined to its asset (``assets``: the
    table as the list names it): a count that stops at its limit after as many matches, where testing
    them as an IN list would first gather every one."""
    return f"{_MATCHED_DOCUMENTS} CROSS JOIN {assets} ON assets.asset_id = d.asset_id {_MATCH}"


# The trigram index's matches and their documents alone: each document carries the asset columns a list
# filters by under their own names (0018), so every filter but the entity's reads them there, and a
# count needs no seek into the assets.
TEXT_DOCUMENTS = f"{_MATCHED_DOCUMENTS} {_MATCH}"


def text_match_values(q: str) -> list[object]:
    return [phrase(q), _like(q)]


def phrase(q: str) -> str:
    """``q`` as one FTS5 string: the trigram index matches it as a substring, whatever it holds."""
    return '"' + q.replace('"', '""') + '"'


def _like(q: str) -> str:
    return "%" + escape_like(q) + "%"


def _prefix_range(q: str) -> tuple[str, str | bytes]:
    """Bounds around every text starting with ``q`` under NOCASE (which folds ASCII letters only): from
    the folded text to the folded text with its last character raised by one (surrogates skipped, as no
    text holds one). After the last code point there is no such text: the bound is then an empty BLOB,
    which SQLite orders after every text. The LIKE beside the range is what decides."""
    low = fold(q)
    last = ord(low[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:
        last = 0xE000
    return low, low[:-1] + chr(last) if last <= 0x10FFFF else b""
