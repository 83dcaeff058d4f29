-- Indexes only the queries use (apply reads by primary key, and by issuer_unit_id when a unit is
-- renamed, whose index stays in schema.sql): a rebuild builds these GIN indexes after the replay
-- instead of maintaining them document by document (see Projection.indexSql).
-- Queries must use this very expression to use the head index.
CREATE INDEX IF NOT EXISTS search_documents_head ON search_documents USING gin ((title_tsv || number_tsv || issuer_tsv));
CREATE INDEX IF NOT EXISTS search_documents_recipients ON search_documents USING gin (recipient_unit_ids);
CREATE INDEX IF NOT EXISTS search_bodies_tsv ON search_bodies USING gin (body_tsv);
CREATE INDEX IF NOT EXISTS search_bodies_incomplete ON search_bodies (document_id) WHERE NOT complete;
-- The filters and the date orders of searchDocuments (queries.ts): each a btree the planner can
-- combine with the term indexes (BitmapAnd) or read in order for NEWEST / OLDEST.
CREATE INDEX IF NOT EXISTS search_documents_doc_type ON search_documents (doc_type);
CREATE INDEX IF NOT EXISTS search_documents_urgency ON search_documents (urgency);
CREATE INDEX IF NOT EXISTS search_documents_classification ON search_documents (classification);
CREATE INDEX IF NOT EXISTS search_documents_signed_off ON search_documents (signed_off_at);
CREATE INDEX IF NOT EXISTS search_documents_sent ON search_documents (sent_at);
CREATE INDEX IF NOT EXISTS search_documents_sort ON search_documents (sort_at, document_id);
