"""The export's name rule: any display name or file name becomes a name every OS accepts, that an
import reads as an ordinary file, and that no other name in its folder holds; and where files go."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.export.layout import entity_folders, place_files
from faceforge_domain.export.models import LinkRecord
from faceforge_domain.export.names import FORBIDDEN, MAX_NAME_BYTES, RESERVED, NameBook, safe_name
from faceforge_domain.imports.plan import is_hidden, is_sidecar
from faceforge_domain.models import Asset, Entity, StorageLocation

# Names people type, plus the characters and shapes that break file systems.
pieces = st.one_of(
    st.characters(),
    st.sampled_from(
        [*FORBIDDEN, ".", " ", "\x00", "\x1f", "\x7f", "é", "😀", "_meta.json", ".faceforge.json"]
    ),
    st.sampled_from(["CON", "Lpt1", "nul", "_directorymeta.json"]),
)
hostile = st.lists(pieces, max_size=120).map("".join) | st.sampled_from(
    ["CON", "con.txt", "Lpt1.jpg", "..", ".", " ", "", "a.", "x_meta.json", "y.faceforge.json"]
)


def assert_safe(name: str, most: int = MAX_NAME_BYTES) -> None:
    assert name
    assert not set(name) & FORBIDDEN
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 or 0xD800 <= ord(c) <= 0xDFFF for c in name)
    assert not name.endswith((".", " "))
    assert not name.startswith(" ")
    assert name.split(".", 1)[0].rstrip(" ").upper() not in RESERVED
    assert len(name.encode()) <= most
    assert not is_hidden(name)
    assert not is_sidecar(name)


@given(hostile)
def test_every_name_becomes_safe_on_every_os(raw: str) -> None:
    assert_safe(safe_name(raw))


@given(hostile)
def test_a_safe_name_is_left_as_it_is(raw: str) -> None:
    once = safe_name(raw)
    assert safe_name(once) == once


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_an_ordinary_name_is_kept(raw: str) -> None:
    plain = "".join(c for c in raw if c not in FORBIDDEN and not c.isspace() and c != ".") or "x"
    if plain.upper() in RESERVED or plain.endswith(("_meta", "_directorymeta")) or ord(plain[-1]) >= 127:
        return
    assert safe_name(plain + ".jpg") == plain + ".jpg"


@given(st.lists(hostile, max_size=30), st.integers(min_value=24, max_value=MAX_NAME_BYTES))
def test_names_claimed_in_one_folder_are_distinct_ignoring_case_and_safe(raws: list[str], most: int) -> None:
    book = NameBook(("manifest.json",), most=most)
    names = [book.claim(raw) for raw in raws]
    folded = [name.casefold() for name in names]
    assert len(set(folded)) == len(folded)
    assert "manifest.json" not in folded
    for name in names:
        assert_safe(name, most)


def test_collisions_get_a_number_before_the_extension() -> None:
    book = NameBook()
    assert [book.claim(n) for n in ("a.jpg", "A.jpg", "a.jpg", "a:b", "a?b")] == [
        "a.jpg",
        "A (2).jpg",
        "a (3).jpg",
        "a_b",
        "a_b (2)",
    ]


def test_reserved_windows_names_and_dots_are_defused() -> None:
    assert safe_name("CON") == "_CON"
    assert safe_name("nul.txt") == "_nul.txt"
    assert safe_name("..") == "_"
    assert safe_name("photo. . ") == "photo"
    assert safe_name(".bashrc") == "_bashrc"
    assert safe_name("notes_meta.json") == "notes_meta_.json"
    assert safe_name("a.faceforge.json") == "a.faceforge_.json"


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    name = safe_name("é" * 300 + ".jpeg")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= MAX_NAME_BYTES


def test_entity_folders_never_take_the_exports_own_names() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    people = [
        Entity(entity_id=f"{n:064x}", display_name=name, created_at=now, updated_at=now)
        for n, name in enumerate(["_unlinked", "Ada", "ada", "manifest.json", "CON"])
    ]
    assert list(entity_folders(people).values()) == [
        "_unlinked (2)",
        "Ada",
        "ada (2)",
        "manifest.json (2)",
        "_CON",
    ]


def test_a_file_linked_to_several_entities_is_placed_once_under_the_oldest() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ada, bob = (
        Entity(entity_id=f"{n:064x}", display_name=name, created_at=now, updated_at=now)
        for n, name in enumerate(["Ada", "Bob"])
    )

    def asset(n: int, name: str) -> Asset:
        where = StorageLocation(provider="fs", key=str(n))
        return Asset(
            asset_id=f"{n:064x}",
            kind="file",
            mime_type="text/plain",
            size_bytes=1,
            filename=name,
            storage=where,
            created_at=now,
            updated_at=now,
        )

    def link(entity: Entity) -> LinkRecord:
        return LinkRecord(entity_id=entity.entity_id, display_name=entity.display_name)

    placed = place_files(
        [ada, bob],
        [
            (asset(1, "a.jpg"), [link(bob), link(ada)]),
            (asset(2, "a.jpg"), [link(ada)]),
            (asset(3, "a.jpg"), [link(bob)]),
            (asset(4, "a.jpg"), []),
        ],
    )

    assert [p.path for p in placed] == ["Ada/a.jpg", "Ada/a (2).jpg", "Bob/a.jpg", "_unlinked/a.jpg"]
    assert placed[0].sidecar == "Ada/a.jpg.faceforge.json"
    assert [link.entity_id for link in placed[0].links] == [bob.entity_id, ada.entity_id]
