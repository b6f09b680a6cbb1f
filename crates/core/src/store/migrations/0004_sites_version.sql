-- Schema version 4: a counter that moves whenever a site changes, so a long-lived
-- delivery worker can keep sites (and their decoded secrets) between passes and still
-- see every change, from any process. Secret changes bump it too (Store::touch_sites).

INSERT OR IGNORE INTO settings (key, value) VALUES ('sites.version', '0');

CREATE TRIGGER sites_version_insert AFTER INSERT ON sites BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'sites.version';
END;
CREATE TRIGGER sites_version_update AFTER UPDATE ON sites BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'sites.version';
END;
CREATE TRIGGER sites_version_delete AFTER DELETE ON sites BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'sites.version';
END;
