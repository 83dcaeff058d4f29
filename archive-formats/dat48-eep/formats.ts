/**
 * The file formats a package may carry (DA/T 70-2018 可用性: content in an allowed, openable
 * format; 安全性: no executables). Extension → media type; anything else is refused by the
 * self-check, and an attachment with an unknown extension is named by its media type instead.
 */
export const ALLOWED_FORMATS: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  xml: 'application/xml',
  json: 'application/json',
  pdf: 'application/pdf',
  ofd: 'application/ofd',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  wps: 'application/vnd.ms-works',
  et: 'application/vnd.ms-excel',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  csv: 'text/csv',
  eep: 'application/xml',
  xsd: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
};

/** The extension a file is stored under: the name's own when allowed, else the media type's. */
export function extensionFor(name: string, mediaType: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  const own = m?.[1]?.toLowerCase();
  if (own && own in ALLOWED_FORMATS && own !== 'eep' && own !== 'xsd') return own;
  const byType = Object.entries(ALLOWED_FORMATS).find(([, t]) => t === mediaType.split(';')[0]!.trim().toLowerCase());
  return byType ? byType[0] : 'bin';
}

/** Bytes that mark executables and scripts, whatever their name says. */
export function looksExecutable(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4));
  return (
    (b[0] === 0x4d && b[1] === 0x5a) || // MZ: Windows PE
    (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) || // ELF
    (b[0] === 0x23 && b[1] === 0x21) || // #! script
    (b[0] === 0xcf && b[1] === 0xfa && b[2] === 0xed && b[3] === 0xfe) // Mach-O
  );
}
