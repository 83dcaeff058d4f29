-- The export list pages both ways by (requested_at, export_id) within a fonds' year (keyset
-- cursors, newest first): the index holds the whole key, so a page and its probes are index ranges.
-- A cursor carries requested_at as JavaScript reads it, to the millisecond: the column keeps
-- milliseconds only, so the cursor's value is the row's value exactly (now() has microseconds).
ALTER TABLE dossier_exports ALTER COLUMN requested_at TYPE timestamptz(3);
CREATE INDEX dossier_exports_page ON dossier_exports (fonds, year, requested_at, export_id);
DROP INDEX dossier_exports_dossier;
