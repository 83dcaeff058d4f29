-- Indexes only the queries need (apply needs the primary key and audit_stream_tips alone): a
-- rebuild writes every event of the ledger into audit_entries, and maintaining six more indexes row
-- by row costs it more than building them once at the end (see Projection.indexSql).
-- A batch's entries by stream and revision (the subscriptions' look-up, queries.ts).
CREATE INDEX IF NOT EXISTS audit_entries_stream ON audit_entries (stream_id, revision);
-- The three timelines: a document's in feed order; a person's and a unit's by claimed time.
CREATE INDEX IF NOT EXISTS audit_entries_document ON audit_entries (document_id, feed_seq) WHERE document_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_entries_actor ON audit_entries (actor_user_id, occurred_at, feed_seq);
CREATE INDEX IF NOT EXISTS audit_entries_actor_unit ON audit_entries (actor_unit_id, occurred_at, feed_seq);
CREATE INDEX IF NOT EXISTS audit_entries_subject_unit ON audit_entries (subject_unit_id, occurred_at, feed_seq) WHERE subject_unit_id IS NOT NULL;
-- Inspectors' "show me what does not verify" and "what was back-dated": small partial indexes.
CREATE INDEX IF NOT EXISTS audit_entries_unverified ON audit_entries (feed_seq) WHERE hash_status <> 'verified';
CREATE INDEX IF NOT EXISTS audit_entries_late ON audit_entries (feed_seq) WHERE late_recorded;
