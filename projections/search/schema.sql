-- Full-text search over official documents (titles, 发文字号, issuers and bodies), segmented for
-- Chinese by the application (projections/search/segment.ts).

-- Every name a unit has borne, the current one first: a document is found by its issuer's
-- present name and by the name it was issued under.
CREATE TABLE search_units (
  unit_id text PRIMARY KEY,
  names   text[] NOT NULL
);

-- A document's short fields and who may see it. Each field has its own canonical text and
-- tsvector (with positions and weights: title and number A, issuer B), so an event re-indexes only
-- what it changes: a 发文字号 or a unit's new name never re-segments anything else.
CREATE TABLE search_documents (
  document_id        text PRIMARY KEY,
  issuer_unit_id     text NOT NULL,
  -- Who may see it besides the issuer: the units it was sent to (cleared by a recall).
  recipient_unit_ids text[] NOT NULL DEFAULT '{}',
  status             text NOT NULL CHECK (status IN ('drafted', 'sealed', 'sent', 'recalled')),
  title              text NOT NULL,
  doc_number         text,
  doc_type           text NOT NULL,
  sent_at            timestamptz,
  -- The filters' fields: 紧急程度, 密级, 成文日期 (the sign-off's time; null until signed off, or
  -- when a revision voided the sign-off), and the drafting time.
  urgency            text NOT NULL,
  classification     text NOT NULL,
  signed_off_at      timestamptz,
  drafted_at         timestamptz NOT NULL,
  -- The document's date for sorting NEWEST / OLDEST: sent, else signed off, else drafted.
  sort_at            timestamptz GENERATED ALWAYS AS (COALESCE(sent_at, signed_off_at, drafted_at)) STORED,
  -- Canonical texts (segment.ts): a query term matches exactly where its pattern is a substring.
  match_title        text NOT NULL,
  match_number       text NOT NULL,
  match_issuer       text NOT NULL,
  title_tsv          tsvector NOT NULL,
  number_tsv         tsvector NOT NULL,
  issuer_tsv         tsvector NOT NULL
);
-- apply renames an issuer through this one; the queries' GIN indexes are in indexes.sql.
CREATE INDEX search_documents_issuer ON search_documents (issuer_unit_id);

-- Bodies apart from the rest: numbering, sending or a recall updates search_documents only, and
-- never makes PostgreSQL write a body's thousand index entries again.
CREATE TABLE search_bodies (
  document_id text PRIMARY KEY,
  body        text NOT NULL,
  match_body  text NOT NULL,
  -- Lexemes only (weight C implied): it finds candidates, the canonical text decides.
  body_tsv    tsvector NOT NULL,
  -- False when a very long body did not fit in its tsvector; such rows are checked by their text.
  complete    boolean NOT NULL
);
