-- Leases for external runners: the secret a runner quotes on each call, when its claim lapses without
-- news, and how many claims the job has had (it fails "runner_lost" after the configured maximum).
ALTER TABLE jobs ADD COLUMN lease_id TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);
