-- The bytes of each recorded rendering (版式文件), addressed by the SM3 digest its DocumentRendered
-- event records. Written by the rendering recorder before it appends the event, so an export hands
-- the archive the very file the ledger recorded, even after the renderer or the fonts change (a
-- re-render would then give other bytes). A row whose event never got appended is harmless: the
-- content is addressed by its digest and the events are the record.
CREATE TABLE rendering_contents (
  sm3        text PRIMARY KEY,
  size       int  NOT NULL,
  media_type text NOT NULL,
  bytes      bytea NOT NULL,
  stored_at  timestamptz NOT NULL DEFAULT now()
);
