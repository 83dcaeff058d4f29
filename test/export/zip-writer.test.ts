import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { once } from 'node:events';
import { ZipArchive } from 'archiver';
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { coalesceCentralDirectory, ZipWriter } from '../../archive-formats/transfer-package/zip-writer.ts';

/** Collects what a zip writes, and how many chunks it wrote after its last entry was handed over. */
class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const DATE = new Date('2026-12-31T08:00:00Z');
// ASCII names (written by compress-commons as strings) and Chinese ones (UTF-8 flagged Buffers).
const entryName = (i: number) => (i % 2 === 0 ? `records/2026/Y/0001-WS-2026-Y-${String(i).padStart(5, '0')}/body.txt` : `电子档案/2026/永久/第${i}件/正文.txt`);

async function zipOf(entries: number, opts: { coalesce: boolean; forceZip64?: boolean }) {
  const zip = new ZipArchive({ zlib: { level: 6 }, ...(opts.forceZip64 && { forceZip64: true }) } as ConstructorParameters<typeof ZipArchive>[0]);
  if (opts.coalesce) coalesceCentralDirectory(zip);
  const sink = new Sink();
  zip.pipe(sink);
  let processed = 0;
  zip.on('entry', () => processed++);
  for (let i = 0; i < entries; i++) {
    zip.append(Buffer.from(`item ${i}\n`), { name: entryName(i), date: DATE, mode: 0o644 });
    while (processed < i - 100) await once(zip, 'entry');
  }
  while (processed < entries) await once(zip, 'entry');
  // Let every entry's bytes reach the sink, so what arrives after finalize is the directory alone.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const beforeFinish = sink.chunks.length;
  await Promise.all([zip.finalize(), finished(sink)]);
  return { bytes: sink.bytes(), directoryChunks: sink.chunks.length - beforeFinish };
}

test('the central directory is written in 64 KB chunks, byte for byte what archiver writes on its own', async () => {
  const entries = 3000;
  const plain = await zipOf(entries, { coalesce: false });
  const coalesced = await zipOf(entries, { coalesce: true });
  assert.ok(coalesced.bytes.equals(plain.bytes), 'same zip bytes');
  // archiver alone: about twenty writes per entry (a million for a year of 55,000 files, all queued at once).
  assert.ok(plain.directoryChunks > entries * 10, `plain: ${plain.directoryChunks} chunks`);
  assert.ok(coalesced.directoryChunks < 20, `coalesced: ${coalesced.directoryChunks} chunks`);
});

test('with ZIP64 records too (a year past 65,535 files or 4 GB): the same bytes', async () => {
  const plain = await zipOf(500, { coalesce: false, forceZip64: true });
  const coalesced = await zipOf(500, { coalesce: true, forceZip64: true });
  assert.ok(coalesced.bytes.equals(plain.bytes));
  // The ZIP64 end-of-central-directory locator is there and points at its record.
  const locator = coalesced.bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]));
  const record = Number(coalesced.bytes.readBigUInt64LE(locator + 8));
  assert.equal(coalesced.bytes.readUInt32LE(record), 0x06064b50);
});

test('an archiver whose engine moved is refused at once, not left to queue', () => {
  const zip = new ZipArchive();
  (zip as unknown as { _module: unknown })._module = {};
  assert.throws(() => coalesceCentralDirectory(zip), /archiver internals changed/);
});

test('a file added piece by piece (a manifest) has the digests and bytes of the whole', async () => {
  const sink = new Sink();
  const writer = new ZipWriter(sink, DATE, ['md5', 'sha256', 'sm3']);
  const pieces = Array.from({ length: 300 }, (_, i) => Buffer.from(`${'ab'.repeat(32)}  电子档案/2026/永久/第${i}件/正文.txt\n`, 'utf8'));
  const whole = Buffer.concat(pieces);
  const chunked = await writer.addChunks('manifest-sm3.txt', pieces, { list: false });
  const single = await writer.add('whole.txt', whole);
  await writer.finish();
  assert.equal(chunked.size, whole.length);
  assert.deepEqual(chunked.digests, single.digests);
  assert.equal(chunked.digests.sm3, createHash('sm3').update(whole).digest('hex'));
  assert.deepEqual(writer.written.map((w) => w.path), ['whole.txt'], 'list: false keeps it out of the listed files');
  const entries = await unzip(sink.bytes());
  assert.ok(entries.get('manifest-sm3.txt')!.equals(whole));
  assert.ok(entries.get('whole.txt')!.equals(whole));
});

async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.fromBuffer(zip, { lazyEntries: true }, (e, z) => (e ? fail(e) : ok(z!))));
  const out = new Map<string, Buffer>();
  await new Promise<void>((ok, fail) => {
    file.on('error', fail);
    file.on('end', ok);
    file.on('entry', (entry: yauzl.Entry) =>
      file.openReadStream(entry, (e, stream) => {
        if (e || !stream) return fail(e ?? new Error('no stream'));
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          file.readEntry();
        });
      }),
    );
    file.readEntry();
  });
  return out;
}
