-- The asset list's `q` (a substring of any stored file name, or of the camera make or model) as an index
-- lookup: one search document per asset, kept in step by triggers on every write to assets (so no write
-- path can forget it), with an FTS5 trigram index over it, as migration 0002 does for entities.

-- The document: every stored file name, then the make, then the model, one per line. A search text
-- never holds a line break (control characters are refused), so a match never spans two of them and
-- `body LIKE '%q%'` is exactly the rule. The INTEGER PRIMARY KEY gives the FTS index a stable rowid
-- (an assets rowid may change on VACUUM); deleting an asset deletes its document.
CREATE TABLE asset_search_docs (
    doc_id INTEGER PRIMARY KEY,
    asset_id TEXT NOT NULL UNIQUE REFERENCES assets (asset_id) ON DELETE CASCADE,
    body TEXT NOT NULL
);

-- Trigram tokens make any substring of 3+ characters an index lookup. The index folds case beyond
-- ASCII, so it finds candidates and the body's LIKE (ASCII case only) decides.
CREATE VIRTUAL TABLE asset_search USING fts5 (
    body, content = 'asset_search_docs', content_rowid = 'doc_id', tokenize = 'trigram'
);

CREATE TRIGGER asset_search_docs_ai AFTER INSERT ON asset_search_docs BEGIN
    INSERT INTO asset_search (rowid, body) VALUES (new.doc_id, new.body);
END;
CREATE TRIGGER asset_search_docs_ad AFTER DELETE ON asset_search_docs BEGIN
    INSERT INTO asset_search (asset_search, rowid, body) VALUES ('delete', old.doc_id, old.body);
END;
CREATE TRIGGER asset_search_docs_au AFTER UPDATE OF body ON asset_search_docs BEGIN
    INSERT INTO asset_search (asset_search, rowid, body) VALUES ('delete', old.doc_id, old.body);
    INSERT INTO asset_search (rowid, body) VALUES (new.doc_id, new.body);
END;

CREATE TRIGGER assets_search_ai AFTER INSERT ON assets BEGIN
    INSERT INTO asset_search_docs (asset_id, body) VALUES (
        new.asset_id,
        coalesce((SELECT group_concat(value, char(10)) FROM json_each(new.filenames)), '')
        || char(10) || coalesce(new.facts_camera_make, '') || char(10) || coalesce(new.facts_camera_model, '')
    );
END;
CREATE TRIGGER assets_search_au AFTER UPDATE OF filenames, facts_camera_make, facts_camera_model ON assets
WHEN new.filenames IS NOT old.filenames
    OR new.facts_camera_make IS NOT old.facts_camera_make COLLATE BINARY
    OR new.facts_camera_model IS NOT old.facts_camera_model COLLATE BINARY BEGIN
    UPDATE asset_search_docs SET body =
        coalesce((SELECT group_concat(value, char(10)) FROM json_each(new.filenames)), '')
        || char(10) || coalesce(new.facts_camera_make, '') || char(10) || coalesce(new.facts_camera_model, '')
    WHERE asset_id = new.asset_id;
END;

-- A search's matches tested against the live-list condition in this narrow index, not in the wide rows
-- (it holds the condition's own columns too: SQLite 3.40 reads a row for columns named only in the
-- index's WHERE). `asset_id IS NOT NULL` (implied by the search's `asset_id IN (...)`) keeps it out of
-- every other list's plans: without it, the planner counted has_location=true through it, reading
-- every row.
CREATE INDEX assets_live_id ON assets (asset_id, deleted_at, kind, derived_from_asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL)
    AND asset_id IS NOT NULL;

INSERT INTO asset_search_docs (asset_id, body)
SELECT asset_id,
    coalesce((SELECT group_concat(value, char(10)) FROM json_each(assets.filenames)), '')
    || char(10) || coalesce(facts_camera_make, '') || char(10) || coalesce(facts_camera_model, '')
FROM assets;
