/** Stream names, `<category>-<id>`: the one place they are spelled. */
export const streams = {
  document: (documentId: string) => `document-${documentId}`,
  delivery: (documentId: string, unitId: string) => `delivery-${documentId}.${unitId}`,
  seal: (sealId: string) => `seal-${sealId}`,
  numbering: (unitId: string, prefix: string, year: number) => `numbering-${unitId}.${prefix}.${year}`,
  unit: (unitId: string) => `unit-${unitId}`,
  user: (userId: string) => `user-${userId}`,
  rendering: (documentId: string) => `rendering-${documentId}`,
  supervision: (documentId: string, unitId: string) => `supervision-${documentId}.${unitId}`,
  signIn: (userId: string, day: string) => `signin-${userId}.${day}`,
  contact: (userId: string) => `contact-${userId}`,
  dailyCheck: (day: string) => `dailycheck-${day}`,
  /** A fonds' yearly dossier; the fonds is its 全宗号 or unit:<unitId>. */
  dossier: (fonds: string, year: number) => `dossier-${fonds}.${year}`,
} as const;

export const categoryOf = (streamId: string): string => streamId.slice(0, streamId.indexOf('-'));
