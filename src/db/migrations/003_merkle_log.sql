-- The global Merkle log (RFC 6962 / 9162 form, SM3) over the committed order of events, built
-- after commit by a single sequencer (src/integrity/merkle-log.ts), and its signed checkpoints.
-- Like the events, these rows are only ever inserted (merkle_head is the one row that moves);
-- `gongwen verify` recomputes everything here from the leaves and the events.

-- One leaf per event, dense from 0 in feed order. The leaf keeps a copy of the fields it hashes
-- (RFC 8785 JSON of streamId, revision, globalPosition, eventId, hash, mac), so the log alone can
-- name an event that was deleted from `events` after it was logged.
CREATE TABLE merkle_leaves (
  leaf_index      bigint PRIMARY KEY CHECK (leaf_index >= 0),
  global_position bigint NOT NULL UNIQUE,
  stream_id       text   NOT NULL,
  revision        bigint NOT NULL,
  event_id        uuid   NOT NULL,
  event_hash      text   NOT NULL,
  event_mac       text   NOT NULL,
  leaf_hash       text   NOT NULL
);

-- Every complete inner subtree (2^level leaves from node_index * 2^level), written as the
-- sequencer's frontier completes it — about one row per leaf — so any inclusion or consistency
-- proof is O(log n) lookups instead of a read of every leaf. Derived data: a wrong row can only
-- make a proof fail its own check against the signed root, never pass a false one.
CREATE TABLE merkle_nodes (
  level      smallint NOT NULL CHECK (level >= 1),
  node_index bigint   NOT NULL CHECK (node_index >= 0),
  hash       text     NOT NULL,
  PRIMARY KEY (level, node_index)
);

-- The sequencer's state: tree size, the right-edge subtree hashes (largest first) that make
-- appending O(log n), and the feed position (transaction_id, global_position) of the last leaf.
CREATE TABLE merkle_head (
  singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  tree_size            bigint  NOT NULL,
  frontier             text[]  NOT NULL,
  last_transaction_id  xid8    NOT NULL,
  last_global_position bigint  NOT NULL,
  updated_at           timestamptz NOT NULL
);
INSERT INTO merkle_head (tree_size, frontier, last_transaction_id, last_global_position, updated_at)
  VALUES (0, '{}', '0', 0, now());

-- Signed tree heads. The signature is SM2 (GM/T 0003, signer ID 1234567812345678, DER, hex) over
-- the checkpoint text "gongwen-ledger/v1\n<tree_size>\n<root_hash>\n<created_at ISO, ms, UTC>\n";
-- an inspector who keeps these rows (or just the text and signature) elsewhere can later prove
-- that the ledger only ever grew.
CREATE TABLE merkle_checkpoints (
  tree_size  bigint PRIMARY KEY CHECK (tree_size >= 0),
  root_hash  text   NOT NULL,
  created_at timestamptz NOT NULL,
  key_id     text   NOT NULL,
  public_key text   NOT NULL,
  signature  text   NOT NULL
);
