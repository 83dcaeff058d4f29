-- A keyed seal over each seal_key_vault row (HMAC-SM3 under a key derived from the ledger's MAC
-- key, src/seal/seal-key-vault.ts), checked before the keeper's passphrase is tried: a damaged or
-- swapped row answers SEAL_KEY_DAMAGED instead of counting as the keeper's wrong passphrase.
-- Rows written before this column existed have none and are reported damaged: re-issue the seal
-- (or, for a development ledger, re-run the demo).
ALTER TABLE seal_key_vault ADD COLUMN integrity text;
