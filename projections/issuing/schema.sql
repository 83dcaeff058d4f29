-- issuing: one row per document a unit drafts, with the stage of its issuing (拟稿 → 签发 → 盖章 →
-- 核发), so each person's work list (起草中, 待签发, 待盖章, 待核发) is one index range.
-- Ids are ASCII and collate as "C": byte-order keyset comparisons, the same whatever the locale.
CREATE TABLE issuing_documents (
  document_id      text COLLATE "C" PRIMARY KEY,
  issuer_unit_id   text COLLATE "C" NOT NULL,
  title            text NOT NULL,
  doc_type         text NOT NULL,
  urgency          text NOT NULL,
  doc_number       text,                    -- from the sealing on
  stage            text NOT NULL,           -- drafted | signed_off | sealed | sent | recalled | filed
  stage_since      timestamptz NOT NULL,    -- when it entered its stage (how long it has waited there)
  drafted_by       text COLLATE "C" NOT NULL,
  drafted_at       timestamptz NOT NULL,
  last_revised_at  timestamptz,
  sign_off_voided  boolean NOT NULL,        -- back in drafting because a revision voided its sign-off
  signed_off_by    text,
  signed_off_at    timestamptz,
  sealed_by        text,
  sealed_at        timestamptz,
  seal_id          text,
  sent_at          timestamptz,
  -- The work-list order as ascending integers: urgency 特急 0 加急 1 平件 2, then the time it
  -- entered its stage in epoch ms (the longest waiting first).
  urgency_rank     smallint NOT NULL,
  stage_rank       bigint NOT NULL
);
