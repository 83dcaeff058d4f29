-- Attachment bytes, addressed by their SM3 digest (the digest the document's events record).
-- Stored before the command is decided; a refused draft leaves an unreferenced row, harmless
-- because identical content is stored once and the events are the record.
CREATE TABLE attachment_contents (
  sm3        text PRIMARY KEY,
  size       int  NOT NULL,
  media_type text NOT NULL,
  bytes      bytea NOT NULL,
  stored_at  timestamptz NOT NULL DEFAULT now()
);
