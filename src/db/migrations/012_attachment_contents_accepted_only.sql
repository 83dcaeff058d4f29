-- Corrects what migration 007 says: attachment bytes are now written only after the command that
-- names them was accepted (src/api/api-commands.ts storeAcceptedUploads), so a refused draft leaves
-- no row here.
COMMENT ON TABLE attachment_contents IS
  'Attachment bytes by SM3 digest, written only after the command naming them was accepted (and again on its repeat).';
