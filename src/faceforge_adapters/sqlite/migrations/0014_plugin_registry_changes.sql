-- A counter that every change to the plugin registry bumps in the same transaction (by trigger, so no
-- writer can forget it). A process that keeps verified plugin tokens in memory reads it on each request
-- (one row, no transaction) and so learns at once of a revocation made by any process.
CREATE TABLE plugin_registry_changes (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    changes INTEGER NOT NULL
);
INSERT INTO plugin_registry_changes (only_row, changes) VALUES (1, 0);
CREATE TRIGGER plugin_registry_inserted AFTER INSERT ON plugin_registry
BEGIN UPDATE plugin_registry_changes SET changes = changes + 1; END;
CREATE TRIGGER plugin_registry_updated AFTER UPDATE ON plugin_registry
BEGIN UPDATE plugin_registry_changes SET changes = changes + 1; END;
CREATE TRIGGER plugin_registry_deleted AFTER DELETE ON plugin_registry
BEGIN UPDATE plugin_registry_changes SET changes = changes + 1; END;
