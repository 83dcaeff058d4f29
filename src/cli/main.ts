import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';

/**
 * `gongwen <command>`: the operator's tool. Every command reads the same validated configuration
 * as the server, so `gongwen verify` checks exactly the ledger `gongwen serve` writes.
 */
const usage = `用法 (usage): gongwen <command>

  serve     run the ledger: HTTP server (GET /health), delivery process manager, Merkle log sequencer
  migrate   apply database migrations and exit
  verify    check the hash chains, event MACs and the signed Merkle log; exit 1 on the first mismatch
  checkpoint  sequence new events into the Merkle log and print a signed checkpoint
  credential <userId> [label] [--certificate client.pem]  issue a login token for a user (printed
            once), or register a client certificate for mutual TLS
  projections show each read model's checkpoint and lag (--json)
  rebuild [name…]  drop and rebuild read models from the events (all when none named)
  export-document <documentId> [--out file]  write a sealed document as one signed JSON package
  verify-seal <file> [--issuer-key <hex>]…  check an exported document's electronic seal offline;
            exit 0 valid, 1 invalid, 2 unreadable. Trusts the ledger keys given, and this machine's own
  close-dossier --year <Y> [--fonds <F>]  close a year's dossier: freeze 档号 and 件号 (every fonds of
            the year without --fonds; again later for late filings: a supplementary batch)
  export --year <Y> [--fonds <F>] [--profile <P>] --out <dir>  write the transfer packages (移交) of
            closed dossiers, one zip per fonds (profiles: archive-formats/profiles)
  check-package <zip|dir> [--json] [--report <file>] [--issuer-key <hex>]…  四性检测 (DA/T 70-2018);
            exit 0 pass, 1 fail, 2 unreadable
  demo [small]  fill an empty ledger with the city of 阜阳 and weeks of traffic; tokens to <data dir>/demo-credentials.json

configuration (environment): DATABASE_URL (else an embedded PostgreSQL in GONGWEN_DATA_DIR, default ./data),
  PORT (4000), HOST (127.0.0.1), GONGWEN_LEDGER_KEY, GONGWEN_ATTACHMENT_LIMIT_BYTES, GONGWEN_MODE, LOG_LEVEL,
  GONGWEN_SEAL_KDF_LOG2N, GONGWEN_SEAL_MAX_WRONG_PASSPHRASES, GONGWEN_SEAL_LOCK_MINUTES,
  GONGWEN_ARCHIVAL_CODE_FORMS, GONGWEN_EEP_XSD (see README)`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      certificate: { type: 'string' },
      'issuer-key': { type: 'string', multiple: true },
      out: { type: 'string', short: 'o' },
      year: { type: 'string' },
      fonds: { type: 'string' },
      profile: { type: 'string' },
      report: { type: 'string' },
    },
  });
  const [command] = positionals;
  if (!command || values.help) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate': {
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
    }
    case 'serve': {
      const { serve } = await import('./serve.ts');
      return serve(config);
    }
    case 'verify': {
      const { verify } = await import('./verify.ts');
      return verify(config, { json: Boolean(values.json) });
    }
    case 'credential': {
      const { issueCredential } = await import('./credential.ts');
      return issueCredential(config, positionals[1], positionals[2], values.certificate);
    }
    case 'projections': {
      const { showProjections } = await import('./projections.ts');
      return showProjections(config, { json: Boolean(values.json) });
    }
    case 'rebuild': {
      const { rebuild } = await import('./projections.ts');
      return rebuild(config, positionals.slice(1));
    }
    case 'demo': {
      const { demo } = await import('./demo.ts');
      return demo(config, positionals.slice(1));
    }
    case 'verify-seal': {
      const { verifySealFile } = await import('./verify-seal.ts');
      return verifySealFile(config, positionals[1], values['issuer-key'] ?? [], { json: Boolean(values.json) });
    }
    case 'export-document': {
      const { exportDocument } = await import('./verify-seal.ts');
      return exportDocument(config, positionals[1], values.out);
    }
    case 'close-dossier': {
      const { closeDossierCli } = await import('./dossier.ts');
      return closeDossierCli(config, values);
    }
    case 'export': {
      const { exportCli } = await import('./dossier.ts');
      return exportCli(config, values);
    }
    case 'check-package': {
      const { checkPackageCli } = await import('./dossier.ts');
      return checkPackageCli(config, positionals[1], { json: Boolean(values.json), issuerKeys: values['issuer-key'] ?? [], report: values.report });
    }
    case 'checkpoint': {
      const { checkpoint } = await import('./verify.ts');
      return checkpoint(config);
    }
    default:
      console.error(`unknown command: ${command}\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(error);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
