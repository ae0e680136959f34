-- Jobs at run time: which Core process owns a running job (start-up recovery leaves live owners'
-- jobs alone), and an index for the executor's "oldest queued job of these types" claim.
ALTER TABLE jobs ADD COLUMN owner TEXT;
CREATE INDEX jobs_queue ON jobs (status, job_type, created_at, job_id);
CREATE INDEX jobs_listing ON jobs (created_at DESC, job_id DESC);
