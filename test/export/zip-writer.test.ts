import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { once } from 'node:events';
import { ZipArchive } from 'archiver';
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../archive-formats/transfer-package/spool.ts';
import { spoolCentralDirectory, ZipWriter } from '../../archive-formats/transfer-package/zip-writer.ts';

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

async function zipOf(entries: number, opts: { spool: boolean; forceZip64?: boolean }) {
  const zip = new ZipArchive({ zlib: { level: 6 }, ...(opts.forceZip64 && { forceZip64: true }) } as ConstructorParameters<typeof ZipArchive>[0]);
  const folder = await mkdtemp(join(tmpdir(), 'zip-writer-test-'));
  const spool = new Spool(join(folder, 'central-directory'));
  if (opts.spool) spoolCentralDirectory(zip, spool);
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
  const engine = (zip as unknown as { _module: { engine: { _entries: unknown } } })._module.engine;
  const kept = Array.isArray(engine._entries) ? engine._entries.length : 0;
  await Promise.all([zip.finalize(), finished(sink)]);
  spool.close();
  await rm(folder, { recursive: true });
  return { bytes: sink.bytes(), directoryChunks: sink.chunks.length - beforeFinish, keptEntries: kept, spooled: spool.size };
}

test('the central directory goes through a spool, not memory, and comes out byte for byte what archiver writes on its own', async () => {
  const entries = 3000;
  const plain = await zipOf(entries, { spool: false });
  const spooled = await zipOf(entries, { spool: true });
  assert.ok(spooled.bytes.equals(plain.bytes), 'same zip bytes');
  // archiver alone keeps every entry's record to the end, then makes about twenty writes an entry
  // (a million for a year of 55,000 files, all queued at once).
  assert.equal(plain.keptEntries, entries);
  assert.ok(plain.directoryChunks > entries * 10, `plain: ${plain.directoryChunks} chunks`);
  assert.equal(spooled.keptEntries, 0, 'no entry record kept in memory');
  assert.ok(spooled.spooled > entries * 46, `the records are in the spool: ${spooled.spooled} bytes`);
  assert.ok(spooled.directoryChunks < 20, `spooled: ${spooled.directoryChunks} chunks`);
});

test('with ZIP64 records too (a year past 65,535 files or 4 GB): the same bytes', async () => {
  const plain = await zipOf(500, { spool: false, forceZip64: true });
  const spooled = await zipOf(500, { spool: true, forceZip64: true });
  assert.ok(spooled.bytes.equals(plain.bytes));
  // The ZIP64 end-of-central-directory locator is there and points at its record.
  const locator = spooled.bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]));
  const record = Number(spooled.bytes.readBigUInt64LE(locator + 8));
  assert.equal(spooled.bytes.readUInt32LE(record), 0x06064b50);
});

test('an archiver whose engine moved is refused at once, not left to keep every entry', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'zip-writer-test-'));
  const spool = new Spool(join(folder, 'central-directory'));
  const zip = new ZipArchive();
  (zip as unknown as { _module: unknown })._module = {};
  assert.throws(() => spoolCentralDirectory(zip, spool), /archiver internals changed/);
  const engine = { ...(new ZipArchive() as unknown as { _module: { engine: object } })._module.engine, _entries: undefined };
  (zip as unknown as { _module: unknown })._module = { engine };
  assert.throws(() => spoolCentralDirectory(zip, spool), /archiver internals changed/);
  spool.close();
  await rm(folder, { recursive: true });
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
  assert.deepEqual(writer.listedTotals, { files: 1, bytes: whole.length }, 'list: false keeps it out of the listed files');
  const entries = await unzip(sink.bytes());
  assert.ok(entries.get('manifest-sm3.txt')!.equals(whole));
  assert.ok(entries.get('whole.txt')!.equals(whole));
});

test("the manifests' lines come back from disk in the order the files were added; the spools go at finish and at abort", async () => {
  const sink = new Sink();
  const writer = new ZipWriter(sink, DATE, ['md5', 'sm3']);
  const folder = (writer as unknown as { folder: string }).folder;
  const files = ['电子档案/2026/永久/第1件/正文.txt', 'b.txt', '其他/移交登记表.xml'].map((path, i) => ({ path, bytes: Buffer.from(`file ${i}`) }));
  for (const f of files) await writer.add(f.path, f.bytes);
  await writer.add('说明文件.txt', Buffer.from('readme'), { list: false });
  const lines = async (a: 'md5' | 'sm3') => {
    const chunks: Buffer[] = [];
    for await (const c of writer.manifestLines(a)) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
  };
  const expected = (a: 'md5' | 'sm3') => files.map((f) => `${createHash(a).update(f.bytes).digest('hex')}  ${f.path}\n`).join('');
  assert.equal(await lines('md5'), expected('md5'));
  assert.equal(await lines('sm3'), expected('sm3'));
  assert.throws(() => writer.manifestLines('sha256'), /digest not taken/);
  assert.deepEqual((await readdir(folder)).sort(), ['central-directory', 'manifest-md5', 'manifest-sm3']);
  await writer.finish();
  await assert.rejects(readdir(folder), { code: 'ENOENT' });

  const aborted = new ZipWriter(new Sink(), DATE, ['sha256']);
  const abortedFolder = (aborted as unknown as { folder: string }).folder;
  await aborted.add('a.txt', Buffer.from('a'));
  aborted.abort();
  await assert.rejects(readdir(abortedFolder), { code: 'ENOENT' });
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
