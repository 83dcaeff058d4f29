import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';

/**
 * A TEST DOUBLE of an EventStoreDB node, not an EventStoreDB: an in-memory log behind the real
 * gRPC Streams service (`event_store.client.streams.Streams`, from the service definition and
 * protobuf classes that `@eventstore/db-client` itself ships), so the adapter talks to it with the
 * real client over the real wire protocol. It implements only what the ledger's adapter uses:
 *
 * - Append (client streaming) with every expected-revision mode, answering WrongExpectedVersion
 *   with the current revision as a server does; each event gets its own commit = prepare
 *   position, a byte offset in the log, starting at `firstPosition` (set it above 2^53 to prove
 *   positions never pass through a JavaScript number);
 * - Read of one stream, forwards or backwards, from start / end / a revision, with a count;
 *   StreamNotFound for a missing stream;
 * - Read of $all forwards from start or from a position (inclusive, as the server does);
 * - Read with a subscription to $all, from start or after a position, filtered by stream-name
 *   prefixes: confirmation, the history, caught-up, then live events.
 *
 * Not implemented (a real server proves them): BatchAppend (GetSupportedMethods is absent, so the
 * client falls back to Append, exactly as against a server without the feature), deletes,
 * metadata, ACLs, projections, persistent subscriptions, clustering, durability.
 *
 * Hooks for tests: `dropSubscriptions()` ends every live subscription with UNAVAILABLE (the
 * server going away mid-stream); `beforeAppend` can stall or inspect an append before it is
 * stored; `afterAppend` after it is stored and before the answer goes out.
 */

type StreamsPb = typeof import('@eventstore/db-client/generated/streams_pb.js');
type ReadReq = InstanceType<StreamsPb['ReadReq']>;
type ReadResp = InstanceType<StreamsPb['ReadResp']>;
type AppendReq = InstanceType<StreamsPb['AppendReq']>;
type AppendResp = InstanceType<StreamsPb['AppendResp']>;

const { ReadResp, AppendResp } = streamsPb;
const { Empty, UUID, StreamIdentifier } = sharedPb;

export interface StoredRecord {
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
  /** Time of the write in 100 ns ticks since the Unix epoch, as the client reads the `created` metadata. */
  created: bigint;
  position: bigint;
}

export interface AppendAttempt {
  streamId: string;
  eventIds: string[];
}

export interface TestDoubleOptions {
  /** Commit/prepare position of the first event (default 0). */
  firstPosition?: bigint;
}

export class EventStoreDbTestDouble {
  readonly log: StoredRecord[] = [];
  readonly #streams = new Map<string, StoredRecord[]>();
  readonly #server = new grpc.Server();
  readonly #live = new Set<{ call: grpc.ServerWritableStream<ReadReq, ReadResp>; push: (r: StoredRecord) => void }>();
  #nextPosition: bigint;
  #port = 0;
  /** Awaited before an append is checked and stored (throw to fail the call). */
  beforeAppend: ((attempt: AppendAttempt) => Promise<void> | void) | null = null;
  /** Awaited after an append is stored, before its answer is sent. */
  afterAppend: ((attempt: AppendAttempt) => Promise<void> | void) | null = null;
  /** Appends answered (successful or not), for tests that count round trips. */
  appendCalls = 0;
  /** Reads and subscriptions opened. */
  readCalls = 0;

  constructor(options: TestDoubleOptions = {}) {
    this.#nextPosition = options.firstPosition ?? 0n;
    this.#server.addService(streamsGrpc.StreamsService, {
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => this.#read(call),
      append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) => this.#append(call, callback),
      delete: unimplemented,
      tombstone: unimplemented,
      batchAppend: unimplemented,
    });
  }

  /** Listens on 127.0.0.1 (a free port unless given). */
  async start(port = 0): Promise<this> {
    this.#port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return this;
  }

  get url(): string {
    return `esdb://127.0.0.1:${this.#port}?tls=false`;
  }

  /** Ends every live subscription with UNAVAILABLE, as a node that restarts or loses leadership. */
  dropSubscriptions(): number {
    const n = this.#live.size;
    for (const sub of [...this.#live]) {
      this.#live.delete(sub);
      fail(sub.call, grpc.status.UNAVAILABLE, 'test double dropped the subscription');
    }
    return n;
  }

  get liveSubscriptions(): number {
    return this.#live.size;
  }

  stop(): Promise<void> {
    this.dropSubscriptions();
    // Whatever is still open (a client's idle channel) is cut: a test double owes nobody a drain.
    this.#server.forceShutdown();
    return Promise.resolve();
  }

  // ---- Append -------------------------------------------------------------------------------

  #append(call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void {
    let options: InstanceType<StreamsPb['AppendReq']['Options']> | undefined;
    const proposed: InstanceType<StreamsPb['AppendReq']['ProposedMessage']>[] = [];
    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) options = req.getOptions();
      else if (req.hasProposedMessage()) proposed.push(req.getProposedMessage()!);
    });
    call.on('error', () => {});
    call.on('end', () => {
      if (!options) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'append without options' });
      const streamId = Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
      const attempt: AppendAttempt = { streamId, eventIds: proposed.map((m) => m.getId()!.getString()) };
      void (async () => {
        try {
          await this.beforeAppend?.(attempt);
          const resp = this.#store(streamId, options!, proposed);
          if (resp.hasSuccess()) await this.afterAppend?.(attempt);
          this.appendCalls++;
          callback(null, resp);
        } catch (error) {
          callback({ code: grpc.status.UNAVAILABLE, details: (error as Error).message });
        }
      })();
    });
  }

  #store(streamId: string, options: InstanceType<StreamsPb['AppendReq']['Options']>, proposed: InstanceType<StreamsPb['AppendReq']['ProposedMessage']>[]): AppendResp {
    const stream = this.#streams.get(streamId);
    const current = stream ? BigInt(stream.length - 1) : null;
    const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
    const expected = options.getExpectedStreamRevisionCase();
    const ok =
      expected === Case.ANY ||
      (expected === Case.NO_STREAM && current === null) ||
      (expected === Case.STREAM_EXISTS && current !== null) ||
      (expected === Case.REVISION && current !== null && current === BigInt(options.getRevision()));
    const resp = new AppendResp();
    if (!ok) {
      const wrong = new AppendResp.WrongExpectedVersion();
      if (current === null) wrong.setCurrentNoStream(new Empty());
      else wrong.setCurrentRevision(current.toString());
      if (expected === Case.REVISION) wrong.setExpectedRevision(options.getRevision());
      else if (expected === Case.NO_STREAM) wrong.setExpectedNoStream(new Empty());
      else if (expected === Case.STREAM_EXISTS) wrong.setExpectedStreamExists(new Empty());
      else wrong.setExpectedAny(new Empty());
      resp.setWrongExpectedVersion(wrong);
      return resp;
    }
    const records = stream ?? [];
    const created = BigInt(Date.now()) * 10_000n;
    let last: StoredRecord | undefined;
    for (const m of proposed) {
      const metadata = m.getMetadataMap();
      const data = m.getData_asU8();
      const record: StoredRecord = {
        streamId,
        revision: BigInt(records.length),
        id: m.getId()!.getString(),
        type: metadata.get('type') ?? '',
        contentType: metadata.get('content-type') ?? 'application/octet-stream',
        data,
        customMetadata: m.getCustomMetadata_asU8(),
        created,
        position: this.#nextPosition,
      };
      // A log position is a byte offset: the next record starts after this one.
      this.#nextPosition += BigInt(64 + data.length + record.customMetadata.length);
      records.push(record);
      this.log.push(record);
      last = record;
    }
    this.#streams.set(streamId, records);
    const success = new AppendResp.Success();
    if (records.length === 0) success.setNoStream(new Empty());
    else success.setCurrentRevision(String(records.length - 1));
    if (last) {
      const position = new AppendResp.Position();
      position.setCommitPosition(last.position.toString());
      position.setPreparePosition(last.position.toString());
      success.setPosition(position);
    } else success.setNoPosition(new Empty());
    resp.setSuccess(success);
    for (const sub of this.#live) for (const r of records.slice(records.length - proposed.length)) sub.push(r);
    return resp;
  }

  // ---- Read ---------------------------------------------------------------------------------

  #read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    this.readCalls++;
    const options = call.request.getOptions();
    if (!options) return void fail(call, grpc.status.INVALID_ARGUMENT, 'read without options');
    const OptionCase = streamsPb.ReadReq.Options.StreamOptionCase;
    if (options.getStreamOptionCase() === OptionCase.STREAM) return this.#readStream(call, options);
    if (options.hasSubscription()) return this.#subscribeAll(call, options);
    return this.#readAll(call, options);
  }

  #readStream(call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: InstanceType<StreamsPb['ReadReq']['Options']>): void {
    const so = options.getStream()!;
    const streamName = so.getStreamIdentifier()!.getStreamName_asU8();
    const records = this.#streams.get(Buffer.from(streamName).toString('utf8'));
    if (!records) {
      const resp = new ReadResp();
      const nf = new ReadResp.StreamNotFound();
      const id = new StreamIdentifier();
      id.setStreamName(streamName);
      nf.setStreamIdentifier(id);
      resp.setStreamNotFound(nf);
      call.write(resp);
      return void call.end();
    }
    const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    const count = Number(BigInt(options.getCount() || '0') > BigInt(records.length) ? records.length : BigInt(options.getCount()));
    const R = streamsPb.ReadReq.Options.StreamOptions.RevisionOptionCase;
    let from: number;
    if (so.getRevisionOptionCase() === R.START) from = backwards ? -1 : 0;
    else if (so.getRevisionOptionCase() === R.END) from = backwards ? records.length - 1 : records.length;
    else from = Number(BigInt(so.getRevision()));
    const out: StoredRecord[] = [];
    if (backwards) for (let i = Math.min(from, records.length - 1); i >= 0 && out.length < count; i--) out.push(records[i]!);
    else for (let i = from; i < records.length && out.length < count; i++) out.push(records[i]!);
    for (const r of out) call.write(eventResp(r));
    call.end();
  }

  #readAll(call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: InstanceType<StreamsPb['ReadReq']['Options']>): void {
    if (options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS) {
      return void fail(call, grpc.status.UNIMPLEMENTED, 'the test double reads $all forwards only');
    }
    const all = options.getAll()!;
    const A = streamsPb.ReadReq.Options.AllOptions.AllOptionCase;
    let start = 0;
    if (all.getAllOptionCase() === A.END) start = this.log.length;
    else if (all.getAllOptionCase() === A.POSITION) {
      // Inclusive, as the server reads $all: the event at that position comes first.
      const commit = BigInt(all.getPosition()!.getCommitPosition());
      start = this.log.findIndex((r) => r.position >= commit);
      if (start < 0) start = this.log.length;
    }
    const count = BigInt(options.getCount() || '0');
    let sent = 0n;
    for (let i = start; i < this.log.length && sent < count; i++, sent++) call.write(eventResp(this.log[i]!));
    call.end();
  }

  #subscribeAll(call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: InstanceType<StreamsPb['ReadReq']['Options']>): void {
    const all = options.getAll()!;
    const A = streamsPb.ReadReq.Options.AllOptions.AllOptionCase;
    const prefixes = options.hasFilter() ? (options.getFilter()!.getStreamIdentifier()?.getPrefixList() ?? []) : null;
    if (options.hasFilter() && !options.getFilter()!.hasStreamIdentifier()) {
      return void fail(call, grpc.status.UNIMPLEMENTED, 'the test double filters on stream names only');
    }
    const wanted = (r: StoredRecord) => prefixes === null || prefixes.some((p) => r.streamId.startsWith(p));
    const confirmation = new ReadResp();
    const c = new ReadResp.SubscriptionConfirmation();
    c.setSubscriptionId(randomUUID());
    confirmation.setConfirmation(c);
    call.write(confirmation);

    let start = 0;
    if (all.getAllOptionCase() === A.END) start = this.log.length;
    else if (all.getAllOptionCase() === A.POSITION) {
      // Exclusive, as a subscription is: it continues after the event at that position.
      const commit = BigInt(all.getPosition()!.getCommitPosition());
      start = this.log.findIndex((r) => r.position > commit);
      if (start < 0) start = this.log.length;
    }
    // History and live events go out in log order: the live ones are queued behind the history.
    const sub = { call, push: (r: StoredRecord) => void (wanted(r) && call.write(eventResp(r))) };
    for (let i = start; i < this.log.length; i++) if (wanted(this.log[i]!)) call.write(eventResp(this.log[i]!));
    const caughtUp = new ReadResp();
    caughtUp.setCaughtUp(new ReadResp.CaughtUp());
    call.write(caughtUp);
    this.#live.add(sub);
    const forget = () => this.#live.delete(sub);
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
  }
}

function eventResp(r: StoredRecord): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const id = new UUID();
  id.setString(r.id);
  recorded.setId(id);
  const sid = new StreamIdentifier();
  sid.setStreamName(Buffer.from(r.streamId, 'utf8'));
  recorded.setStreamIdentifier(sid);
  recorded.setStreamRevision(r.revision.toString());
  recorded.setCommitPosition(r.position.toString());
  recorded.setPreparePosition(r.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', r.type);
  metadata.set('content-type', r.contentType);
  metadata.set('created', r.created.toString());
  recorded.setCustomMetadata(r.customMetadata);
  recorded.setData(r.data);
  const event = new ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(r.position.toString());
  const resp = new ReadResp();
  resp.setEvent(event);
  return resp;
}

function unimplemented(_call: unknown, callback?: grpc.sendUnaryData<unknown>): void {
  const error = { code: grpc.status.UNIMPLEMENTED, details: 'not implemented by the EventStoreDB test double' };
  if (callback) callback(error);
  else fail(_call as grpc.ServerWritableStream<unknown, unknown>, error.code, error.details);
}

/** Ends a server-streaming call with an error status (what grpc-js sends for an emitted 'error'). */
function fail(call: grpc.ServerWritableStream<unknown, unknown>, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}
