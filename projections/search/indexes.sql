-- Indexes only the queries use (apply reads by primary key, and by issuer_unit_id when a unit is
-- renamed, whose index stays in schema.sql): a rebuild builds these GIN indexes after the replay
-- instead of maintaining them document by document (see Projection.indexSql).
-- Queries must use this very expression to use the head index.
CREATE INDEX IF NOT EXISTS search_documents_head ON search_documents USING gin ((title_tsv || number_tsv || issuer_tsv));
CREATE INDEX IF NOT EXISTS search_documents_recipients ON search_documents USING gin (recipient_unit_ids);
CREATE INDEX IF NOT EXISTS search_bodies_tsv ON search_bodies USING gin (body_tsv);
CREATE INDEX IF NOT EXISTS search_bodies_incomplete ON search_bodies (document_id) WHERE NOT complete;
