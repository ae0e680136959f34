-- Look-alikes: each picture's 64-bit perceptual hash, and the review list of look-alike groups.
-- The hash is unsigned; SQLite integers are signed, so values from 2**63 up are stored minus 2**64.
-- band0..band3 are its four 16-bit bands (lowest bits first), each indexed with the hash beside it:
-- a search looks up the bands near the query's bands and checks each candidate's full distance from
-- the index alone (multi-index hashing, see faceforge_domain/lookalikes.py).
CREATE TABLE lookalike_hashes (
    asset_id TEXT NOT NULL UNIQUE REFERENCES assets (asset_id) ON DELETE CASCADE,
    phash INTEGER NOT NULL,
    band0 INTEGER NOT NULL,
    band1 INTEGER NOT NULL,
    band2 INTEGER NOT NULL,
    band3 INTEGER NOT NULL
);
CREATE INDEX lookalike_band0 ON lookalike_hashes (band0, phash);
CREATE INDEX lookalike_band1 ON lookalike_hashes (band1, phash);
CREATE INDEX lookalike_band2 ON lookalike_hashes (band2, phash);
CREATE INDEX lookalike_band3 ON lookalike_hashes (band3, phash);

-- Groups found by core.duplicates.scan: open ones are replaced by each scan; resolved (one kept) and
-- dismissed (not duplicates) ones stay as the record of what the user decided.
CREATE TABLE duplicate_groups (
    group_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    max_distance INTEGER NOT NULL,
    kept_asset_id TEXT REFERENCES assets (asset_id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT
) WITHOUT ROWID;
CREATE INDEX duplicate_groups_listing ON duplicate_groups (status, created_at, group_id);

-- position orders a group's members (its first member at 0); distance is to the first member.
CREATE TABLE duplicate_group_members (
    group_id TEXT NOT NULL REFERENCES duplicate_groups (group_id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (asset_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    distance INTEGER NOT NULL,
    PRIMARY KEY (group_id, position)
) WITHOUT ROWID;
CREATE INDEX duplicate_group_members_asset ON duplicate_group_members (asset_id);

-- Pairs the user said are not duplicates (asset_a < asset_b): a rescan never connects them again.
CREATE TABLE lookalike_dismissed_pairs (
    asset_a TEXT NOT NULL REFERENCES assets (asset_id) ON DELETE CASCADE,
    asset_b TEXT NOT NULL REFERENCES assets (asset_id) ON DELETE CASCADE,
    PRIMARY KEY (asset_a, asset_b),
    CHECK (asset_a < asset_b)
) WITHOUT ROWID;
CREATE INDEX lookalike_dismissed_b ON lookalike_dismissed_pairs (asset_b);

-- Keeping one of a group moves entity thumbnails that showed a removed copy: found by this index.
CREATE INDEX entities_primary_thumbnail ON entities (primary_thumbnail_asset_id)
WHERE primary_thumbnail_asset_id IS NOT NULL;
