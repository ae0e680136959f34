-- Each search document (0015) also carries the asset columns a list filters by, under the same names, kept
-- in step by triggers like its body: a broad search's total is then counted from the documents its
-- trigram matches point at, where it sought each match's entry in assets_live_id (three times the work).
-- Every filter but the entity's (entity_assets) reads these columns alone.
ALTER TABLE asset_search_docs ADD COLUMN deleted_at TEXT;
ALTER TABLE asset_search_docs ADD COLUMN kind TEXT;
ALTER TABLE asset_search_docs ADD COLUMN derived_from_asset_id TEXT;
ALTER TABLE asset_search_docs ADD COLUMN mime_type TEXT;
ALTER TABLE asset_search_docs ADD COLUMN facts_camera_make TEXT COLLATE NOCASE;
ALTER TABLE asset_search_docs ADD COLUMN facts_camera_model TEXT COLLATE NOCASE;
ALTER TABLE asset_search_docs ADD COLUMN facts_taken_at TEXT;
ALTER TABLE asset_search_docs ADD COLUMN facts_latitude REAL;

DROP TRIGGER assets_search_ai;
CREATE TRIGGER assets_search_ai AFTER INSERT ON assets BEGIN
    INSERT INTO asset_search_docs (
        asset_id, body, deleted_at, kind, derived_from_asset_id, mime_type, facts_camera_make,
        facts_camera_model, facts_taken_at, facts_latitude
    ) VALUES (
        new.asset_id,
        coalesce((SELECT group_concat(value, char(10)) FROM json_each(new.filenames)), '')
        || char(10) || coalesce(new.facts_camera_make, '') || char(10) || coalesce(new.facts_camera_model, ''),
        new.deleted_at, new.kind, new.derived_from_asset_id, new.mime_type, new.facts_camera_make,
        new.facts_camera_model, new.facts_taken_at, new.facts_latitude
    );
END;

CREATE TRIGGER assets_search_filters_au AFTER UPDATE OF
    deleted_at, kind, derived_from_asset_id, mime_type, facts_camera_make, facts_camera_model, facts_taken_at,
    facts_latitude
ON assets BEGIN
    UPDATE asset_search_docs SET
        deleted_at = new.deleted_at,
        kind = new.kind,
        derived_from_asset_id = new.derived_from_asset_id,
        mime_type = new.mime_type,
        facts_camera_make = new.facts_camera_make,
        facts_camera_model = new.facts_camera_model,
        facts_taken_at = new.facts_taken_at,
        facts_latitude = new.facts_latitude
    WHERE asset_id = new.asset_id;
END;

UPDATE asset_search_docs SET (
    deleted_at, kind, derived_from_asset_id, mime_type, facts_camera_make, facts_camera_model, facts_taken_at,
    facts_latitude
) = (
    SELECT deleted_at, kind, derived_from_asset_id, mime_type, facts_camera_make, facts_camera_model,
        facts_taken_at, facts_latitude
    FROM assets WHERE assets.asset_id = asset_search_docs.asset_id
);
