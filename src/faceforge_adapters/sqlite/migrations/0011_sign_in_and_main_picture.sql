-- Single-use codes of sign-in links. Only a hash of each code is kept; a used or expired code stays a
-- day so that a late click is told what happened to it.
CREATE TABLE sign_in_codes (
    code_hash TEXT PRIMARY KEY,
    token_fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
) WITHOUT ROWID;
CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at);

-- The main picture an entity lost when its file went to the trash, given back on restore. Entities
-- already showing a trashed file lose it now, as they would have under this rule.
ALTER TABLE entities ADD COLUMN trashed_thumbnail_asset_id TEXT;
CREATE INDEX entities_trashed_thumbnail ON entities (trashed_thumbnail_asset_id)
WHERE trashed_thumbnail_asset_id IS NOT NULL;
UPDATE entities
SET trashed_thumbnail_asset_id = primary_thumbnail_asset_id, primary_thumbnail_asset_id = NULL
WHERE primary_thumbnail_asset_id IN (SELECT asset_id FROM assets WHERE deleted_at IS NOT NULL);
UPDATE entities SET primary_thumbnail_asset_id = NULL
WHERE primary_thumbnail_asset_id NOT IN (SELECT asset_id FROM assets);
