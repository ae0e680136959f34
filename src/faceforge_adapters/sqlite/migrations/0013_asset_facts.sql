-- The facts derived from each asset's ExifTool metadata (faceforge_domain/facts.py), one column each, so
-- lists filter and sort by them. Filled when metadata is recorded; `faceforge asset facts` (the
-- core.assets.facts job) fills them for assets stored before this migration.
-- facts_taken_at: RFC 3339 UTC text; the instant when facts_taken_offset is known, else the camera's
-- wall-clock time read as UTC (zone unknown). Make and model compare without ASCII case.
ALTER TABLE assets ADD COLUMN facts_taken_at TEXT;
ALTER TABLE assets ADD COLUMN facts_taken_offset TEXT;
ALTER TABLE assets ADD COLUMN facts_camera_make TEXT COLLATE NOCASE;
ALTER TABLE assets ADD COLUMN facts_camera_model TEXT COLLATE NOCASE;
ALTER TABLE assets ADD COLUMN facts_lens TEXT;
ALTER TABLE assets ADD COLUMN facts_width INTEGER;
ALTER TABLE assets ADD COLUMN facts_height INTEGER;
ALTER TABLE assets ADD COLUMN facts_orientation INTEGER;
ALTER TABLE assets ADD COLUMN facts_duration_s REAL;
ALTER TABLE assets ADD COLUMN facts_latitude REAL;
ALTER TABLE assets ADD COLUMN facts_longitude REAL;

-- Lists: every index is partial on the live-list condition, spelled exactly as the asset repository
-- writes it, so SQLite knows each row in it is live and not a preview and answers the page and its
-- total from the index alone (the rows themselves carry the metadata and are wide). Each has the id
-- as its tie-break, as the keyset cursor reads them.
CREATE INDEX assets_live_created ON assets (created_at, asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
CREATE INDEX assets_live_taken ON assets (facts_taken_at, asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
CREATE INDEX assets_live_filename ON assets (filename COLLATE NOCASE, asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
CREATE INDEX assets_live_size ON assets (size_bytes, asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
-- The camera filter (make or model): each index holds both, so either side of the OR is answered by one.
CREATE INDEX assets_live_camera_make ON assets (facts_camera_make, facts_camera_model)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
CREATE INDEX assets_live_camera_model ON assets (facts_camera_model, facts_camera_make)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL);
-- has_location=true and has_location=false.
CREATE INDEX assets_live_located ON assets (created_at, asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL)
    AND facts_latitude IS NOT NULL;
CREATE INDEX assets_live_unlocated ON assets (created_at, asset_id)
    WHERE deleted_at IS NULL AND NOT (kind = 'image.thumbnail' AND derived_from_asset_id IS NOT NULL)
    AND facts_latitude IS NULL;
