-- inbox: one row per copy of a document delivered to a recipient unit (documentId, unitId).
-- Ids are ASCII (schemas/common.ts Id) and collate as "C", so keyset comparisons are byte order,
-- cheap and the same on every server whatever its locale.
CREATE TABLE inbox_items (
  document_id         text COLLATE "C" NOT NULL,
  unit_id             text COLLATE "C" NOT NULL,
  title               text NOT NULL,
  doc_number          text NOT NULL,
  doc_type            text NOT NULL,
  urgency             text NOT NULL,
  issuer_unit_id      text NOT NULL,
  kind                text NOT NULL,            -- main 主送 | cc 抄送
  sent_at             timestamptz NOT NULL,
  delivered_at        timestamptz NOT NULL,
  status              text NOT NULL,            -- awaiting_receipt | received | awaiting_handling | handled | returned | withdrawn
  received_at         timestamptz,
  received_by         text,
  returned_at         timestamptz,
  returned_by         text,
  return_reason       text,
  withdrawn           boolean NOT NULL,
  withdrawn_at        timestamptz,
  withdraw_reason     text,
  registered_at       timestamptz,
  registered_by       text,
  register_no         text,
  reviewed_at         timestamptz,
  review_accepted     boolean,
  readers             text[] NOT NULL,
  instructions        int NOT NULL,
  assignee_user_id    text COLLATE "C",
  assignee_department text,
  due_date            text,                     -- as assigned: a date (due by the end of that day, UTC+8) or an exact time
  assigned_at         timestamptz,
  assigned_by         text,
  urges               int NOT NULL,
  last_urged_at       timestamptz,
  last_urge_level     text,
  completed_at        timestamptz,
  completed_by        text,
  result              text,
  replies             int NOT NULL,
  last_replied_at     timestamptz,
  filed_at            timestamptz,
  retention           text,
  -- The list order as ascending integers (see inbox-row.ts): urgency 特急 0 加急 1 平件 2; the
  -- moment the due date falls due in epoch ms (none: 2^53-1, last); minus the delivery time in
  -- epoch ms (latest first).
  urgency_rank        smallint NOT NULL,
  due_rank            bigint NOT NULL,
  delivered_rank      bigint NOT NULL,
  PRIMARY KEY (document_id, unit_id)
) WITH (fillfactor = 80);

-- fillfactor 80: most events (registered, reviewed, read, instructed, urged, replied) change no
-- indexed column, and room left on the page lets PostgreSQL write those updates as HOT updates,
-- without touching the five indexes.

-- The listInbox indexes, one per shape of the query, are in indexes.sql (a rebuild builds them last).

-- Copies per unit and status (user_id = '') and per assignee and status (user_id = the assignee),
-- kept by deltas in apply (see counts.ts for why not a GROUP BY). Zero rows are deleted. (No CHECK
-- (n >= 0) here: PostgreSQL checks it on the row an upsert proposes, before the conflict turns the
-- insert into an update, so every decrement would fail; apply checks for negative counts instead.)
CREATE TABLE inbox_counts (
  unit_id  text COLLATE "C" NOT NULL,
  user_id  text COLLATE "C" NOT NULL,
  status   text NOT NULL,
  n        int NOT NULL,
  PRIMARY KEY (unit_id, user_id, status)
);
