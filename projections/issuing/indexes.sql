-- The work lists, each an index range ending in the full sort key (a page is a range scan from its
-- cursor, however deep). Partial: only documents still being issued are work; the sent, recalled
-- and filed ones (most rows after a year) stay out of these indexes.
CREATE INDEX IF NOT EXISTS issuing_documents_unit_stage ON issuing_documents (issuer_unit_id, stage, urgency_rank, stage_rank, document_id)
  WHERE stage IN ('drafted', 'signed_off', 'sealed');
CREATE INDEX IF NOT EXISTS issuing_documents_drafter ON issuing_documents (issuer_unit_id, drafted_by, urgency_rank, stage_rank, document_id)
  WHERE stage = 'drafted';
