-- A recorded rendering is a PDF whose streams are already deflated: PostgreSQL's pglz got nothing
-- out of it (stored size = file size on the bench ledger) and spent about half of each insert
-- trying (a 184 KB file: ~20–30 ms → ~10–15 ms under load). Kept out of line, uncompressed; rows
-- already stored stay as they are, and the bytes read back are the same either way.
ALTER TABLE rendering_contents ALTER COLUMN bytes SET STORAGE EXTERNAL;
