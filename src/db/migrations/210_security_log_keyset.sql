-- The security log is read as a Relay connection in the order it was written (id), filtered by
-- user, unit, refusal code or time: each filter an index range read in id order, either way.
DROP INDEX IF EXISTS security_log_user;
DROP INDEX IF EXISTS security_log_unit;
CREATE INDEX security_log_user ON security_log (user_id, id);
CREATE INDEX security_log_unit ON security_log (unit_id, id);
CREATE INDEX security_log_code ON security_log (code, id);
CREATE INDEX security_log_at ON security_log (at);
