-- One index per shape of listInbox, each ending in the full sort key, so a page is a range scan
-- that starts at the cursor and stops after `first + 1` rows, however deep the page. Only the
-- queries use them (apply reads by primary key), so a rebuild builds them after the replay instead
-- of updating four wide indexes at every change of a row (see Projection.indexSql).
CREATE INDEX IF NOT EXISTS inbox_items_unit_order ON inbox_items (unit_id, urgency_rank, due_rank, delivered_rank, document_id);
CREATE INDEX IF NOT EXISTS inbox_items_unit_status_order ON inbox_items (unit_id, status, urgency_rank, due_rank, delivered_rank, document_id);
CREATE INDEX IF NOT EXISTS inbox_items_assignee_order ON inbox_items (unit_id, assignee_user_id, urgency_rank, due_rank, delivered_rank, document_id)
  WHERE assignee_user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbox_items_assignee_status_order ON inbox_items (unit_id, assignee_user_id, status, urgency_rank, due_rank, delivered_rank, document_id)
  WHERE assignee_user_id IS NOT NULL;
-- sort NEWEST: the latest delivery first, whatever the urgency (whole inbox, and one status).
CREATE INDEX IF NOT EXISTS inbox_items_unit_newest ON inbox_items (unit_id, delivered_rank, document_id);
CREATE INDEX IF NOT EXISTS inbox_items_unit_status_newest ON inbox_items (unit_id, status, delivered_rank, document_id);
