-- The archivists' catalogue (归档文件目录): every filed item of every fonds, numbered and coded.

-- The units as the directory events describe them, so the catalogue reads no other projection.
CREATE TABLE catalogue_units (
  unit_id           text PRIMARY KEY,
  name              text NOT NULL,
  fonds_code        text,
  organisation_code text
);
CREATE INDEX catalogue_units_fonds ON catalogue_units (fonds_code) WHERE fonds_code IS NOT NULL;

-- What a recipient's row needs from the issuer's stream: the 成文日期 (last sign-off) and the
-- document as it was sent, with the issuer's name at that moment (责任者).
CREATE TABLE catalogue_documents (
  document_id    text PRIMARY KEY,
  issuer_unit_id text NOT NULL,
  signed_off_at  timestamptz,
  title          text,
  doc_number     text,
  issuer_name    text,
  -- 页数 of the recorded rendering (DocumentRendered, the latest): the archived file's own pages.
  rendered_pages int
);

-- The last 件号 given in each group; the next item of the group takes last_item + 1.
CREATE TABLE catalogue_groups (
  fonds_key  text NOT NULL,
  year       int  NOT NULL,
  retention  text NOT NULL,
  group_org  text NOT NULL,
  last_item  int  NOT NULL,
  PRIMARY KEY (fonds_key, year, retention, group_org)
);

-- One row per filed item: the issuer's filing of its sent document, and each recipient's filing
-- of its incoming copy. fonds_key is the 全宗号, or 'unit:<unitId>' for a unit without one.
CREATE TABLE catalogue_items (
  document_id       text NOT NULL,
  unit_id           text NOT NULL,
  side              text NOT NULL CHECK (side IN ('sent', 'incoming')),
  fonds_key         text NOT NULL,
  fonds_code        text,
  year              int  NOT NULL,
  retention         text NOT NULL CHECK (retention IN ('Y', 'D30', 'D10')),
  retention_rank    smallint NOT NULL,
  organisation_code text,
  group_org         text NOT NULL,
  item_no           int  NOT NULL CHECK (item_no >= 1),
  archival_code     text NOT NULL,
  doc_number        text,
  responsible       text NOT NULL,
  title             text NOT NULL,
  document_date     char(8) NOT NULL,
  classification    text NOT NULL,
  pages             int,
  remarks           text,
  recalled          boolean NOT NULL,
  filed_by          text NOT NULL,
  filed_at          timestamptz NOT NULL,
  PRIMARY KEY (document_id, unit_id),
  -- Serves the catalogue's order (retention, organisation, 件号) and proves 件号 unique per group.
  UNIQUE (fonds_key, year, retention_rank, group_org, item_no)
);
