-- What became of each original's previews (small and large WebP pictures, stored as derived assets of
-- kind image.thumbnail). A failed or impossible preview is recorded with its reason, so it is not
-- tried again on every page view; only the preview job with retry_failed tries again.
CREATE TABLE asset_previews (
    asset_id TEXT PRIMARY KEY REFERENCES assets (asset_id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'none')),
    reason TEXT,
    small_asset_id TEXT REFERENCES assets (asset_id),
    large_asset_id TEXT REFERENCES assets (asset_id),
    width INTEGER,
    height INTEGER,
    duration_s REAL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX asset_previews_status ON asset_previews (status, asset_id);
-- Previews are found by what they were made from (lists leave them out, a purge follows them).
CREATE INDEX assets_derived_from ON assets (derived_from_asset_id) WHERE derived_from_asset_id IS NOT NULL;
