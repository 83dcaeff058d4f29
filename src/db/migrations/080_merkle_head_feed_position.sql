-- The Merkle log sequencer's place in the feed when the events live outside PostgreSQL
-- (EVENT_STORE=eventstoredb): the adapter's opaque FeedPosition text (esdb:<commit>/<prepare>,
-- exact beyond 2^53). NULL: the start of the feed, or a PostgreSQL ledger, which keeps using
-- (last_transaction_id, last_global_position).
ALTER TABLE merkle_head ADD COLUMN last_feed_position text;
