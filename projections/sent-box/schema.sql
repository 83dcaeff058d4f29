-- sent-box: per issuing unit, each sent document, and one row per (document, recipient unit).
-- Ids are ASCII and collate as "C": byte-order keyset comparisons, the same whatever the locale.
CREATE TABLE sent_box_documents (
  document_id      text COLLATE "C" PRIMARY KEY,
  issuer_unit_id   text COLLATE "C" NOT NULL,
  title            text NOT NULL,
  doc_number       text NOT NULL,
  doc_type         text NOT NULL,
  urgency          text NOT NULL,
  sent_at          timestamptz NOT NULL,
  sent_by          text NOT NULL,
  status           text NOT NULL,          -- sent | recalled | filed
  recalled_at      timestamptz,
  recalled_by      text,
  recall_reason    text,
  filed_at         timestamptz,
  filed_by         text,
  retention        text,
  recipient_count  int NOT NULL,
  received_count   int NOT NULL,           -- signed for (签收), handled or filed since included
  returned_count   int NOT NULL,
  completed_count  int NOT NULL,
  withdrawn_count  int NOT NULL,
  -- minus sentAt in epoch ms: the latest first with an ascending index and keyset.
  sent_rank        bigint NOT NULL
);

CREATE TABLE sent_box_recipients (
  document_id      text COLLATE "C" NOT NULL,
  unit_id          text COLLATE "C" NOT NULL,
  ordinal          int NOT NULL,           -- place in the recipient list: 主送 in order, then 抄送
  kind             text NOT NULL,          -- main | cc
  status           text NOT NULL,          -- pending | delivered | received | returned | completed | filed | withdrawn
  delivered_at     timestamptz,
  received_at      timestamptz,            -- received_at and received_by: the receipt (回执)
  received_by      text,
  returned_at      timestamptz,
  returned_by      text,
  return_reason    text,
  withdrawn_at     timestamptz,
  withdraw_reason  text,
  completed_at     timestamptz,
  filed_at         timestamptz,
  PRIMARY KEY (document_id, unit_id)
);
