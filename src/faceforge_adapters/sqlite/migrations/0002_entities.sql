-- Entities at scale: a substring search index over names and aliases, and live/total counts, both
-- kept in sync by triggers on every write to entities (so no write path can forget them).

-- One search document per entity: display name and aliases, one per line. Its INTEGER PRIMARY KEY
-- gives the FTS index a stable rowid (an entities rowid may change on VACUUM).
CREATE TABLE entity_search_docs (
    doc_id INTEGER PRIMARY KEY,
    entity_id TEXT NOT NULL UNIQUE REFERENCES entities (entity_id) ON DELETE CASCADE,
    body TEXT NOT NULL
);

-- Trigram tokens make any substring of 3+ characters an index lookup, case-insensitively.
CREATE VIRTUAL TABLE entity_search USING fts5 (
    body, content = 'entity_search_docs', content_rowid = 'doc_id', tokenize = 'trigram'
);

CREATE TRIGGER entity_search_docs_ai AFTER INSERT ON entity_search_docs BEGIN
    INSERT INTO entity_search (rowid, body) VALUES (new.doc_id, new.body);
END;
CREATE TRIGGER entity_search_docs_ad AFTER DELETE ON entity_search_docs BEGIN
    INSERT INTO entity_search (entity_search, rowid, body) VALUES ('delete', old.doc_id, old.body);
END;
CREATE TRIGGER entity_search_docs_au AFTER UPDATE OF body ON entity_search_docs BEGIN
    INSERT INTO entity_search (entity_search, rowid, body) VALUES ('delete', old.doc_id, old.body);
    INSERT INTO entity_search (rowid, body) VALUES (new.doc_id, new.body);
END;

CREATE TRIGGER entities_search_ai AFTER INSERT ON entities BEGIN
    INSERT INTO entity_search_docs (entity_id, body) VALUES (
        new.entity_id,
        new.display_name || coalesce(
            (SELECT char(10) || group_concat(value, char(10)) FROM json_each(new.aliases)), ''
        )
    );
END;
CREATE TRIGGER entities_search_au AFTER UPDATE OF display_name, aliases ON entities
WHEN new.display_name IS NOT old.display_name OR new.aliases IS NOT old.aliases BEGIN
    UPDATE entity_search_docs SET body = new.display_name || coalesce(
        (SELECT char(10) || group_concat(value, char(10)) FROM json_each(new.aliases)), ''
    ) WHERE entity_id = new.entity_id;
END;

INSERT INTO entity_search_docs (entity_id, body)
SELECT entity_id, display_name || coalesce(
    (SELECT char(10) || group_concat(value, char(10)) FROM json_each(entities.aliases)), ''
) FROM entities;

-- Counts for unfiltered lists: count(*) over a million rows costs tens of milliseconds per page.
CREATE TABLE entity_counts (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    total INTEGER NOT NULL,
    live INTEGER NOT NULL
);
INSERT INTO entity_counts (id, total, live)
SELECT 1, count(*), count(*) FILTER (WHERE deleted_at IS NULL) FROM entities;

CREATE TRIGGER entities_count_ai AFTER INSERT ON entities BEGIN
    UPDATE entity_counts SET total = total + 1, live = live + (new.deleted_at IS NULL) WHERE id = 1;
END;
CREATE TRIGGER entities_count_ad AFTER DELETE ON entities BEGIN
    UPDATE entity_counts SET total = total - 1, live = live - (old.deleted_at IS NULL) WHERE id = 1;
END;
CREATE TRIGGER entities_count_au AFTER UPDATE OF deleted_at ON entities
WHEN (new.deleted_at IS NULL) <> (old.deleted_at IS NULL) BEGIN
    UPDATE entity_counts SET live = live + (new.deleted_at IS NULL) - (old.deleted_at IS NULL) WHERE id = 1;
END;

-- Tag lists in creation order without touching the entities table: each tag row carries its entity's
-- created_at and whether it is live, so "tag=x, newest 50" and its total are one index range each.
ALTER TABLE entity_tags ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE entity_tags ADD COLUMN live INTEGER NOT NULL DEFAULT 1;
UPDATE entity_tags SET
    created_at = (SELECT e.created_at FROM entities AS e WHERE e.entity_id = entity_tags.entity_id),
    live = (SELECT e.deleted_at IS NULL FROM entities AS e WHERE e.entity_id = entity_tags.entity_id);
CREATE INDEX entity_tags_listing ON entity_tags (tag, live, created_at, entity_id);
CREATE INDEX entity_tags_entity ON entity_tags (entity_id);
CREATE TRIGGER entities_tags_live AFTER UPDATE OF deleted_at ON entities
WHEN (new.deleted_at IS NULL) <> (old.deleted_at IS NULL) BEGIN
    UPDATE entity_tags SET live = (new.deleted_at IS NULL) WHERE entity_id = new.entity_id;
END;

-- Relationship lookups from the source side (the unique index leads with src already) and by time.
CREATE INDEX relationships_created ON relationships (created_at, relationship_id);
CREATE INDEX descriptors_created ON descriptors (entity_id, created_at, descriptor_id);
