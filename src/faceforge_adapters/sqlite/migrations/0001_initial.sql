-- Schema v1: the whole data model. Timestamps are RFC 3339 UTC text with milliseconds, so they sort
-- as text. JSON columns hold JSON text. Soft delete: deleted_at is NULL for live rows.

CREATE TABLE entities (
    entity_id TEXT PRIMARY KEY CHECK (length(entity_id) = 64),
    display_name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    fields TEXT NOT NULL DEFAULT '{}',
    primary_thumbnail_asset_id TEXT,
    external_ids TEXT NOT NULL DEFAULT '{}',
    plugin_data TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX entities_created ON entities (created_at, entity_id);
CREATE INDEX entities_updated ON entities (updated_at, entity_id);
CREATE INDEX entities_name ON entities (display_name COLLATE NOCASE, entity_id);

-- One row per (source, id) so an external id maps to exactly one entity.
CREATE TABLE entity_external_ids (
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities (entity_id) ON DELETE CASCADE,
    PRIMARY KEY (source, external_id)
);
CREATE UNIQUE INDEX entity_external_ids_entity ON entity_external_ids (entity_id, source);

CREATE TABLE entity_tags (
    entity_id TEXT NOT NULL REFERENCES entities (entity_id) ON DELETE CASCADE,
    tag TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (tag, entity_id)
) WITHOUT ROWID;

CREATE TABLE assets (
    asset_id TEXT PRIMARY KEY CHECK (length(asset_id) = 64),
    kind TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    filename TEXT NOT NULL,
    filenames TEXT NOT NULL DEFAULT '[]',
    storage_provider TEXT NOT NULL,
    storage_bucket TEXT,
    storage_key TEXT NOT NULL,
    derived_from_asset_id TEXT REFERENCES assets (asset_id),
    owner TEXT,
    extracted_metadata TEXT NOT NULL DEFAULT '[]',
    metadata_status TEXT NOT NULL DEFAULT 'pending'
        CHECK (metadata_status IN ('pending', 'done', 'skipped', 'failed')),
    metadata_reason TEXT,
    user_metadata TEXT NOT NULL DEFAULT '{}',
    plugin_data TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX assets_created ON assets (created_at, asset_id);
CREATE INDEX assets_kind ON assets (kind, created_at);
CREATE INDEX assets_mime ON assets (mime_type);
CREATE INDEX assets_metadata_status ON assets (metadata_status);

CREATE TABLE entity_assets (
    entity_id TEXT NOT NULL REFERENCES entities (entity_id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (asset_id) ON DELETE CASCADE,
    role TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (entity_id, asset_id)
) WITHOUT ROWID;
CREATE INDEX entity_assets_asset ON entity_assets (asset_id);

CREATE TABLE field_definitions (
    field_def_id TEXT PRIMARY KEY CHECK (length(field_def_id) = 64),
    field_key TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('entity', 'descriptor')),
    field_type TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    regex TEXT,
    options TEXT,
    min_value REAL,
    max_value REAL,
    multiple INTEGER NOT NULL DEFAULT 0,
    label TEXT,
    help TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    UNIQUE (scope, field_key)
);

CREATE TABLE descriptors (
    descriptor_id TEXT PRIMARY KEY CHECK (length(descriptor_id) = 64),
    entity_id TEXT NOT NULL REFERENCES entities (entity_id) ON DELETE CASCADE,
    field_key TEXT NOT NULL,
    value TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT,
    source TEXT,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX descriptors_entity ON descriptors (entity_id, field_key);
CREATE INDEX descriptors_key ON descriptors (field_key);

CREATE TABLE relationships (
    relationship_id TEXT PRIMARY KEY CHECK (length(relationship_id) = 64),
    src_entity_id TEXT NOT NULL REFERENCES entities (entity_id) ON DELETE CASCADE,
    dst_entity_id TEXT NOT NULL REFERENCES entities (entity_id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CHECK (src_entity_id <> dst_entity_id)
);
CREATE UNIQUE INDEX relationships_unique ON relationships (src_entity_id, dst_entity_id, type)
    WHERE deleted_at IS NULL;
CREATE INDEX relationships_dst ON relationships (dst_entity_id, type);
CREATE INDEX relationships_type ON relationships (type COLLATE NOCASE);

CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY CHECK (length(job_id) = 64),
    job_type TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'cancel_requested', 'succeeded', 'failed', 'canceled')),
    progress TEXT NOT NULL DEFAULT '{}',
    input TEXT NOT NULL DEFAULT '{}',
    input_asset_id TEXT REFERENCES assets (asset_id),
    result TEXT,
    error TEXT,
    claimed_by TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);
CREATE INDEX jobs_type ON jobs (job_type, created_at);
CREATE INDEX jobs_created ON jobs (created_at, job_id);

CREATE TABLE job_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    ts TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    message TEXT NOT NULL,
    data TEXT
);
CREATE INDEX job_logs_job ON job_logs (job_id, id);

CREATE TABLE plugin_registry (
    plugin_id TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    config TEXT NOT NULL DEFAULT '{}',
    granted_permissions TEXT NOT NULL DEFAULT '[]',
    token_hash TEXT,
    version_seen TEXT,
    manifest TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_type ON events (type, id);
