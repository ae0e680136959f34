-- Filters combined with each other answered inside the indexes, without reading the wide asset rows (each
-- carries its ExifTool metadata): the camera indexes also hold the date taken and the latitude (a camera
-- with a date range or a position), and the date-taken order also holds the camera and the latitude (a
-- page sorted by date taken walks it and tests a camera or a position on each entry). Partial on the
-- live-list condition as in 0013, spelled as the asset repository writes it; each also holds that
-- condition's own columns, as assets_live_id (0015) does: SQLite 3.40 reads a row for a column named only in
-- an index's WHERE, which would undo the point.
DROP INDEX assets_live_camera_make;
DROP INDEX assets_live_camera_model;
DROP INDEX assets_live_taken;
CREATE INDEX assets_live_camera_make
    ON assets (facts_camera_make, facts_camera_model, facts_taken_at, facts_latitude, deleted_at, kind,
        derived_from_asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
CREATE INDEX assets_live_camera_model
    ON assets (facts_camera_model, facts_camera_make, facts_taken_at, facts_latitude, deleted_at, kind,
        derived_from_asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
CREATE INDEX assets_live_taken
    ON assets (facts_taken_at, asset_id, facts_camera_make, facts_camera_model, facts_latitude, deleted_at,
        kind, derived_from_asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);

-- The file-name order also holds the make, model, date taken and latitude: a short search (the start of
-- a name, make or model) that matches too many to gather is counted by walking this index alone.
DROP INDEX assets_live_filename;
CREATE INDEX assets_live_filename
    ON assets (filename COLLATE NOCASE, asset_id, facts_camera_make, facts_camera_model, facts_taken_at,
        facts_latitude, deleted_at, kind, derived_from_asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
-- A search's matches (0015) are tested against the facts filters in this narrow index too, not in the
-- wide rows: a broad search with a position, say, is counted without reading each match's row.
DROP INDEX assets_live_id;
CREATE INDEX assets_live_id
    ON assets (asset_id, deleted_at, kind, derived_from_asset_id, facts_camera_make, facts_camera_model,
        facts_taken_at, facts_latitude)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL)
    AND asset_id IS NOT NULL;
