-- The per-issuer listing's index; only the queries use it (apply reads by document), so a rebuild
-- builds it after the replay (see Projection.indexSql).
CREATE INDEX IF NOT EXISTS sent_box_documents_unit_order ON sent_box_documents (issuer_unit_id, sent_rank, document_id);
