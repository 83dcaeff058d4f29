-- Server-held seal keys (印章私钥), each encrypted under its keeper's passphrase (scrypt +
-- AES-256-GCM, src/seal/key-wrap.ts). Not events: a passphrase change must make the old ciphertext
-- disappear, and an immutable log would keep it (and with it anything the old passphrase opens)
-- forever. Keyed by seal and public key: a key generated for an issue that never got appended is an
-- orphan row that no seal names, and can never be mistaken for the seal's key.
-- Destroying a seal (SealDestroyed) deletes its rows.
CREATE TABLE seal_key_vault (
  seal_id     text NOT NULL,
  public_key  text NOT NULL,
  wrapped     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (seal_id, public_key)
);
