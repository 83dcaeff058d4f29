import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { EmbeddedPostgresError } from '../db/embedded.ts';

/**
 * `gongwen <command>`: the operator's tool. Every command reads the same validated configuration
 * as the server, so `gongwen verify` checks exactly the ledger `gongwen serve` writes. Beside a
 * running `gongwen serve` on the embedded server, a command uses that server's database.
 */
type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  /** Its arguments, as the usage shows them. */
  synopsis: string;
  summary: string;
  options?: Options;
  /** Positional arguments: at least, at most. */
  args: [number, number];
  run(config: Config, args: string[], values: Values): Promise<number>;
}

const str = (v: Values[string]) => (typeof v === 'string' ? v : undefined);

const commands: Record<string, Command> = {
  serve: {
    synopsis: '',
    summary: 'run the ledger: GraphQL (and GraphiQL), /health, process managers, projections, Merkle log sequencer',
    args: [0, 0],
    run: async (config) => (await import('./serve.ts')).serve(config),
  },
  init: {
    synopsis: '[--unit-name 名称] [--short-name 简称] [--prefix 机关代字] [--unit-id id] [--admin-id id] [--admin-name 姓名]',
    summary: 'on an empty ledger: register the city office and its first super administrator, print its token (once)',
    options: {
      'unit-name': { type: 'string' },
      'short-name': { type: 'string' },
      prefix: { type: 'string' },
      'unit-id': { type: 'string' },
      'admin-id': { type: 'string' },
      'admin-name': { type: 'string' },
    },
    args: [0, 0],
    run: async (config, _args, v) =>
      (await import('./init.ts')).init(config, {
        unitName: str(v['unit-name']) ?? '市人民政府办公室',
        shortName: str(v['short-name']),
        prefix: str(v.prefix) ?? '市政办',
        unitId: str(v['unit-id']) ?? 'city-office',
        adminId: str(v['admin-id']) ?? 'admin',
        adminName: str(v['admin-name']) ?? '系统管理员',
      }),
  },
  migrate: {
    synopsis: '',
    summary: 'apply database migrations and exit',
    args: [0, 0],
    async run(config) {
      const db = await openDatabase(config, { migrate: false });
      try {
        const { migrate } = await import('../db/migrate.ts');
        const { allMigrations } = await import('../db/database.ts');
        const applied = await migrate(db.pool, allMigrations);
        console.log(applied.length ? `applied:\n  ${applied.join('\n  ')}` : 'database is up to date');
        return 0;
      } finally {
        await db.close();
      }
    },
  },
  verify: {
    synopsis: '[--public-key <hex>] [--mac-key <hex>] [--checkpoint FILE]… [--read-models] [--json]',
    summary:
      'check the hash chains, the signed Merkle log, the event MACs (with the MAC key) and that today\'s log extends each held checkpoint (RFC 9162 consistency proofs); exit 1 on the first mismatch. Never creates a key. --read-models: also rebuild every read model aside and name the first row that differs',
    options: {
      json: { type: 'boolean' },
      'public-key': { type: 'string' },
      'mac-key': { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      'read-models': { type: 'boolean' },
    },
    args: [0, 0],
    run: async (config, _args, v) =>
      (await import('./verify.ts')).verify(config, {
        json: Boolean(v.json),
        publicKey: str(v['public-key']),
        macKey: str(v['mac-key']),
        checkpointFiles: (v.checkpoint as string[] | undefined) ?? [],
        readModels: Boolean(v['read-models']),
      }),
  },
  checkpoint: {
    synopsis: '[--out FILE]',
    summary: 'sequence new events, sign and print a checkpoint (--out: append it to FILE, which an inspector keeps)',
    options: { out: { type: 'string', short: 'o' } },
    args: [0, 0],
    run: async (config, _args, v) => (await import('./verify.ts')).checkpoint(config, { out: str(v.out) }),
  },
  backup: {
    synopsis: '--out <dir>',
    summary: "write a consistent backup of the ledger's own tables (events, attachments, seal key vault, Merkle log, checkpoints, command steps, jobs' records) with an SM3 manifest; safe while the ledger serves. The ledger key is not in it: keep it offline",
    options: { out: { type: 'string', short: 'o' } },
    args: [0, 0],
    run: async (config, _args, v) => (await import('./backup.ts')).backup(config, str(v.out)),
  },
  restore: {
    synopsis: '<dir>',
    summary: 'check every file of a backup against its manifest, load it into an empty ledger (the ledger key put back first), sign a checkpoint and rebuild the read models',
    args: [1, 1],
    run: async (config, args) => (await import('./backup.ts')).restore(config, args[0]!),
  },
  'mac-key': {
    synopsis: '',
    summary: 'print the event MAC key, for an auditor who checks MACs (it cannot sign checkpoints)',
    args: [0, 0],
    run: async (config) => (await import('./verify.ts')).macKey(config),
  },
  credential: {
    synopsis: '<userId> [label] [--certificate client.pem]',
    summary: 'issue a login token for a user (printed once), or register a client certificate for mutual TLS',
    options: { certificate: { type: 'string' } },
    args: [1, 2],
    run: async (config, args, v) => (await import('./credential.ts')).issueCredential(config, args[0], args[1], str(v.certificate)),
  },
  projections: {
    synopsis: '[--json]',
    summary: "show each read model's checkpoint and lag",
    options: { json: { type: 'boolean' } },
    args: [0, 0],
    run: async (config, _args, v) => (await import('./projections.ts')).showProjections(config, { json: Boolean(v.json) }),
  },
  rebuild: {
    synopsis: '[name…]',
    summary: 'rebuild read models from the events aside and swap them in (all when none named)',
    args: [0, Infinity],
    run: async (config, args) => (await import('./projections.ts')).rebuild(config, args),
  },
  'export-document': {
    synopsis: '<documentId> [--out file]',
    summary: 'write a sealed document as one signed JSON package',
    options: { out: { type: 'string', short: 'o' } },
    args: [1, 1],
    run: async (config, args, v) => (await import('./verify-seal.ts')).exportDocument(config, args[0], str(v.out)),
  },
  render: {
    synopsis: '<documentId> [--format pdf|ofd] --out file',
    summary: 'the sealed document as PDF/A (GB/T 9704 layout), compared with the rendering the ledger recorded (exit 1 if it differs); --format ofd: the same layout as OFD (GB/T 33190)',
    options: { out: { type: 'string', short: 'o' }, format: { type: 'string' } },
    args: [1, 1],
    run: async (config, args, v) => (await import('./render.ts')).renderCommand(config, args[0], str(v.out), str(v.format)),
  },
  'migrate-events': {
    synopsis: '--to eventstoredb',
    summary: "copy the PostgreSQL ledger's events into an empty EventStoreDB at EVENTSTORE_URL (ids, order, hashes, MACs preserved); then run with EVENT_STORE=eventstoredb",
    options: { to: { type: 'string' } },
    args: [0, 0],
    run: async (config, _args, v) => (await import('./migrate-events.ts')).migrateEvents(config, str(v.to)),
  },
  'close-dossier': {
    synopsis: '--year <Y> [--fonds <F>]',
    summary: "close a year's dossier: freeze 档号 and 件号 (every fonds of the year without --fonds; again later for late filings: a supplementary batch)",
    options: { year: { type: 'string' }, fonds: { type: 'string' } },
    args: [0, 0],
    run: async (config, _args, v) => (await import('./dossier.ts')).closeDossierCli(config, { year: str(v.year), fonds: str(v.fonds) }),
  },
  export: {
    synopsis: '--year <Y> [--fonds <F>] [--profile <P>] --out <dir>',
    summary: 'write the transfer packages (移交) of closed dossiers, one zip per fonds (profiles: archive-formats/profiles)',
    options: { year: { type: 'string' }, fonds: { type: 'string' }, profile: { type: 'string' }, out: { type: 'string', short: 'o' } },
    args: [0, 0],
    run: async (config, _args, v) => (await import('./dossier.ts')).exportCli(config, { year: str(v.year), fonds: str(v.fonds), profile: str(v.profile), out: str(v.out) }),
  },
  'check-package': {
    synopsis: '<zip|dir> [--json] [--report <file>] [--issuer-key <hex>]…',
    summary: '四性检测 (DA/T 70-2018) of a transfer package; exit 0 pass, 1 fail, 2 unreadable',
    options: { json: { type: 'boolean' }, report: { type: 'string' }, 'issuer-key': { type: 'string', multiple: true } },
    args: [1, 1],
    run: async (config, args, v) =>
      (await import('./dossier.ts')).checkPackageCli(config, args[0], { json: Boolean(v.json), issuerKeys: (v['issuer-key'] as string[] | undefined) ?? [], report: str(v.report) }),
  },
  'verify-seal': {
    synopsis: '<file> [--issuer-key <hex>]… [--json]',
    summary: "check an exported document's electronic seal offline; exit 0 valid, 1 invalid, 2 unreadable",
    options: { 'issuer-key': { type: 'string', multiple: true }, json: { type: 'boolean' } },
    args: [1, 1],
    run: async (config, args, v) =>
      (await import('./verify-seal.ts')).verifySealFile(config, args[0], (v['issuer-key'] as string[] | undefined) ?? [], { json: Boolean(v.json) }),
  },
  demo: {
    synopsis: '[small|full]',
    summary: 'fill an empty ledger with the city of 阜阳 and weeks of traffic; tokens to <data dir>/demo-credentials.json',
    args: [0, 1],
    run: async (config, args) => (await import('./demo.ts')).demo(config, args),
  },
};

const commandUsage = (name: string) => `gongwen ${name}${commands[name]!.synopsis ? ` ${commands[name]!.synopsis}` : ''}`;

const usage = `用法 (usage): gongwen <command> [options]

${Object.entries(commands)
  .map(([name, c]) => `  ${commandUsage(name)}\n      ${c.summary}`)
  .join('\n')}

configuration (environment): DATABASE_URL (else an embedded PostgreSQL in GONGWEN_DATA_DIR, default ./data),
  PORT (4000), HOST (127.0.0.1), GONGWEN_LEDGER_KEY, GONGWEN_ATTACHMENT_LIMIT_BYTES, GONGWEN_MODE, LOG_LEVEL,
  GONGWEN_SEAL_KDF_LOG2N, GONGWEN_SEAL_MAX_WRONG_PASSPHRASES, GONGWEN_SEAL_LOCK_MINUTES,
  GONGWEN_FONT_XIAOBIAOSONG|FANGSONG|HEITI|KAITI|SONGTI, GONGWEN_INTROSPECTION,
  EVENT_STORE (postgres|eventstoredb), EVENTSTORE_URL, GONGWEN_ARCHIVAL_CODE_FORMS, GONGWEN_EEP_XSD,
  GONGWEN_EXPORT_DIR, GONGWEN_OFFICE_HOURS, GONGWEN_DEADLINE_POLICY, GONGWEN_NOTIFY_WEBHOOK_URL (see README)`;

/** A wrong command line: its message and the command's usage, exit 2. */
class UsageError extends Error {}

function parse(command: Command, argv: string[]): { args: string[]; values: Values } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' }, ...command.options } });
  } catch (error) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION, …_INVALID_OPTION_VALUE, …_UNEXPECTED_POSITIONAL
    throw new UsageError(`命令行有误 (bad command line): ${(error as Error).message}`);
  }
  const { positionals, values } = parsed;
  if (!values.help) {
    const [min, max] = command.args;
    if (positionals.length < min) throw new UsageError(`缺少参数 (missing argument)`);
    if (positionals.length > max) throw new UsageError(`多余的参数 (unexpected argument): ${positionals.slice(max).join(' ')}`);
  }
  return { args: positionals, values: values as Values };
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name]! : undefined;
  if (!command) {
    console.error(`未知命令 (unknown command): ${name}\n\n${usage}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parse(command, rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n用法 (usage): ${commandUsage(name)}\n  ${command.summary}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`用法 (usage): ${commandUsage(name)}\n  ${command.summary}`);
    return 0;
  }
  return command.run(loadConfig(), parsed.args, parsed.values);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // What the operator fixes is said in one message; anything else is a bug, shown in full.
    if (error instanceof ConfigError) console.error(error.message);
    else if (error instanceof EmbeddedPostgresError) console.error(error.message);
    else console.error(error);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
