-- The per-issuer listing's index; only the queries use it (apply reads by document), so a rebuild
-- builds it after the replay (see Projection.indexSql).
CREATE INDEX IF NOT EXISTS sent_box_documents_unit_order ON sent_box_documents (issuer_unit_id, sent_rank, document_id);
-- The listing narrowed to one status (sent / recalled / filed).
CREATE INDEX IF NOT EXISTS sent_box_documents_unit_status_order ON sent_box_documents (issuer_unit_id, status, sent_rank, document_id);
