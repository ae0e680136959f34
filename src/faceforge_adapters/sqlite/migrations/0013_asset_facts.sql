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

-- Filters: a date range, a camera (make or model), files with a position.
CREATE INDEX assets_taken ON assets (facts_taken_at, asset_id);
CREATE INDEX assets_camera_make ON assets (facts_camera_make) WHERE facts_camera_make IS NOT NULL;
CREATE INDEX assets_camera_model ON assets (facts_camera_model) WHERE facts_camera_model IS NOT NULL;
CREATE INDEX assets_located ON assets (created_at, asset_id) WHERE facts_latitude IS NOT NULL;
-- Sorts (each with the id as its tie-break, as the keyset cursor reads them).
CREATE INDEX assets_filename ON assets (filename COLLATE NOCASE, asset_id);
CREATE INDEX assets_size ON assets (size_bytes, asset_id);
