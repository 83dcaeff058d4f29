import { PassThrough } from 'node:stream';
import { ZipArchive } from 'archiver';
import yauzl from 'yauzl';

/**
 * exceljs stamps every part of an .xlsx with the current time (its zip library takes no date), so
 * the same catalogue would give different bytes at every export. The parts are re-packed here, in
 * their order, with one fixed time: the same workbook gives the same file.
 */
export async function withFixedTimes(zip: Buffer, date: Date): Promise<Buffer> {
  const source = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.fromBuffer(zip, { lazyEntries: true }, (e, z) => (e ? fail(e) : ok(z!))));
  const parts: { name: string; bytes: Buffer }[] = [];
  await new Promise<void>((ok, fail) => {
    source.on('error', fail);
    source.on('end', ok);
    source.on('entry', (entry: yauzl.Entry) => {
      source.openReadStream(entry, (e, stream) => {
        if (e || !stream) return fail(e ?? new Error('no stream'));
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', fail);
        stream.on('end', () => {
          parts.push({ name: entry.fileName, bytes: Buffer.concat(chunks) });
          source.readEntry();
        });
      });
    });
    source.readEntry();
  });
  const out = new ZipArchive({ zlib: { level: 6 } });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((ok) => sink.on('end', ok));
  out.pipe(sink);
  for (const p of parts) out.append(p.bytes, { name: p.name, date, mode: 0o644 });
  await out.finalize();
  await ended;
  return Buffer.concat(chunks);
}
