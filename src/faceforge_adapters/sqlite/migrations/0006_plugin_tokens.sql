-- Plugin tokens are looked up by their hash on every request a plugin makes; at most one plugin holds
-- a given token.
CREATE UNIQUE INDEX plugin_registry_token ON plugin_registry (token_hash) WHERE token_hash IS NOT NULL;
