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
