-- Signed-in web UI sessions. Only a hash of each session id is kept, so a copy of the database cannot
-- be used to sign in; token_fingerprint ends every session when the install token changes.
CREATE TABLE ui_sessions (
    session_hash TEXT PRIMARY KEY,
    token_fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ui_sessions_expiry ON ui_sessions (expires_at);
