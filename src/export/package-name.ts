/** The file name of a fonds' yearly package: `<fonds>-<year>-<profile>.zip` (unit:x → unit_x). */
export const packageFileName = (fonds: string, year: number, profile: string): string => `${fonds.replace(':', '_')}-${year}-${profile}.zip`;
