import { z } from 'zod';
import { parseArchivalCodeForms } from '../../archive-formats/archival-code/per-fonds.ts';
import { DEFAULT_OFFICE_HOURS, parseOfficeHours } from '../supervision/calendar.ts';

/**
 * Configuration comes from the environment only, and is validated once at start-up so a bad value
 * stops the ledger with a message naming the variable instead of failing later mid-request.
 */
const intFromEnv = (min: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`);

export const ConfigSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  GONGWEN_DATA_DIR: z.string().min(1).default('./data'),
  GONGWEN_MODE: z.enum(['development', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: intFromEnv(0).max(65535, 'must be at most 65535').default(4000),
  /** Total size of all attachments of one document; the 3 MB default is the exchange network's rule. */
  GONGWEN_ATTACHMENT_LIMIT_BYTES: intFromEnv(1).default(3 * 1024 * 1024),
  /** How often a command is retried after an optimistic-concurrency conflict before CONFLICT is reported. */
  GONGWEN_COMMAND_MAX_ATTEMPTS: intFromEnv(1).max(1000, 'must be at most 1000').default(30),
  /** The time zone in which years (for document numbers) and working hours are reckoned. */
  GONGWEN_TIMEZONE: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai')
    .default('Asia/Shanghai'),
  /**
   * The ledger's SM2 private key (64 hex digits) that signs Merkle checkpoints and seals every event.
   * In development it is generated once and kept in the data folder; production must supply it.
   */
  GONGWEN_LEDGER_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal digits (an SM2 private key)')
    .optional(),
  /**
   * scrypt work factor (log2 N, r = 8) for new server-held seal keys: 15 costs ~32 MB and ~0.1 s per
   * sealing, the point where guessing a keeper's passphrase offline is slow. Stored with each key,
   * so raising it later changes only keys wrapped afterwards (a passphrase change rewraps).
   */
  GONGWEN_SEAL_KDF_LOG2N: intFromEnv(10).max(18, 'must be at most 18 (2^18 × 8 × 128 B = 256 MB per sealing)').default(15),
  /**
   * After this many wrong passphrases for one seal within GONGWEN_SEAL_LOCK_MINUTES, the seal
   * refuses every sealing until the window has passed (as a USB key locks after wrong PINs).
   */
  GONGWEN_SEAL_MAX_WRONG_PASSPHRASES: intFromEnv(1).max(100, 'must be at most 100').default(5),
  GONGWEN_SEAL_LOCK_MINUTES: intFromEnv(1).max(1440, 'must be at most 1440').default(30),
  /**
   * HTTPS: the server's certificate and key (PEM files). With GONGWEN_TLS_CLIENT_CA as well, clients
   * may log in with a certificate issued by that CA (mutual TLS) whose SHA-256 fingerprint is
   * registered as one of their credentials.
   */
  GONGWEN_TLS_CERT: z.string().min(1).optional(),
  GONGWEN_TLS_KEY: z.string().min(1).optional(),
  GONGWEN_TLS_CLIENT_CA: z.string().min(1).optional(),
  /**
   * Font files of the fixed-layout rendering (src/render/fonts.ts), one per typeface role of
   * GB/T 9704: a path, or path#PostScriptName for one face of a .ttc collection. Unset: the free
   * Noto CJK and AR PL fonts of the Debian packages fonts-noto-cjk and fonts-arphic-gkai00mp.
   */
  GONGWEN_FONT_XIAOBIAOSONG: z.string().min(1).optional(),
  GONGWEN_FONT_FANGSONG: z.string().min(1).optional(),
  GONGWEN_FONT_HEITI: z.string().min(1).optional(),
  GONGWEN_FONT_KAITI: z.string().min(1).optional(),
  GONGWEN_FONT_SONGTI: z.string().min(1).optional(),
  /**
   * Who may introspect the API (its schema, what GraphiQL shows): `open` to anyone, `login` only
   * to a logged-in user. Unset: open in development, login in production.
   */
  GONGWEN_INTROSPECTION: z.enum(['open', 'login']).optional(),
  /** Where the events live: PostgreSQL (default) or an EventStoreDB/KurrentDB cluster at EVENTSTORE_URL. */
  EVENT_STORE: z.enum(['postgres', 'eventstoredb'], { error: 'must be postgres or eventstoredb' }).default('postgres'),
  EVENTSTORE_URL: z
    .string()
    .regex(/^esdb(\+discover)?:\/\/[^\s/?#]+/, 'must be an esdb:// or esdb+discover:// connection string, e.g. esdb://localhost:2113?tls=false')
    .optional(),
  /** 办公时间 of a working day (Beijing time), for deadlines in working hours and the seal log's OFF_HOURS. */
  GONGWEN_OFFICE_HOURS: z
    .string()
    .superRefine((text, ctx) => {
      try {
        parseOfficeHours(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .default(DEFAULT_OFFICE_HOURS),
  /** The deadline policy file (JSON); the default is src/supervision/deadline-policy.json. Validated at start-up. */
  GONGWEN_DEADLINE_POLICY: z.string().min(1).optional(),
  /** Reminders go to this HTTP webhook (an SMS gateway, a messaging bot) as JSON POSTs; unset, they are only logged. */
  GONGWEN_NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /**
   * The 档号 form per fonds, as JSON: {"*":"DA/T 22-2015","0002":"DA/T 13-2022"} (built-in forms or
   * patterns, archive-formats/archival-code). Read when a dossier closes; the codes are then frozen.
   */
  GONGWEN_ARCHIVAL_CODE_FORMS: z
    .string()
    .superRefine((spec, ctx) => {
      try {
        parseArchivalCodeForms(spec);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** The DA/T 48 XSD, put into every export package's 其他/ folder and used by check-package when a package lacks one. */
  GONGWEN_EEP_XSD: z.string().min(1).optional(),
  /** Where export jobs write the transfer packages; default <GONGWEN_DATA_DIR>/exports. */
  GONGWEN_EXPORT_DIR: z.string().min(1).optional(),
  /**
   * How long a mutation sent with waitForReadModels (or asking for its inboxItem) waits for the read
   * models to apply its events before answering READ_MODELS_TIMEOUT (the command stays recorded).
   */
  /**
   * The API's read cache (src/api/read-cache.ts): at most this many bytes of kept answers of the
   * read queries (inbox, sentDocuments, timeline, unitTimeline, searchDocuments), each served again
   * only while the read models it came from are unchanged. 0 turns it off.
   */
  GONGWEN_READ_CACHE_BYTES: intFromEnv(0).max(4 * 1024 ** 3, 'must be at most 4294967296 (4 GB)').default(32 * 1024 * 1024),
  GONGWEN_READ_MODEL_WAIT_MS: intFromEnv(1).max(60_000, 'must be at most 60000 (a request is cut off after 30 s anyway)').default(5_000),
  /**
   * Browser origins allowed to call the API from another site (CORS), comma-separated, e.g.
   * https://oa.fuyang.gov.cn,http://localhost:5173. Unset: no cross-origin access (same-origin only).
   */
  GONGWEN_CORS_ORIGINS: z
    .string()
    .transform((text) => text.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s?#]+$/, 'each origin must be scheme://host[:port] without a path, e.g. https://oa.example.gov.cn')).min(1, 'name at least one origin'))
    .optional(),
  /**
   * Persisted queries (src/api/persisted-queries.ts): `off`; `allow` (a client may send the SHA-256 of
   * a listed query instead of its text, or any text); `only` (nothing but the listed queries runs —
   * for production frontends). Unset: with GONGWEN_PERSISTED_QUERIES_DIR, `only` in production and
   * `allow` in development; without it, off.
   */
  GONGWEN_PERSISTED_QUERIES: z.enum(['off', 'allow', 'only'], { error: 'must be off, allow or only' }).optional(),
  /** The folder of the frontend's .graphql files (one operation each) that make the persisted list. */
  GONGWEN_PERSISTED_QUERIES_DIR: z.string().min(1).optional(),
  /** How often an open subscription re-checks its credential (revocation, deactivation); expiry is also timed exactly. */
  GONGWEN_SUBSCRIPTION_RECHECK_MS: intFromEnv(100).max(600_000, 'must be at most 600000').default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置错误 (invalid configuration):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as a shell user expects from `FOO= gongwen serve`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(present[String(i.path[0])])})`));
  }
  const config = parsed.data;
  if (Boolean(config.GONGWEN_TLS_CERT) !== Boolean(config.GONGWEN_TLS_KEY)) {
    throw new ConfigError(['GONGWEN_TLS_CERT, GONGWEN_TLS_KEY: give both (the certificate and its private key) or neither']);
  }
  if (config.GONGWEN_TLS_CLIENT_CA && !config.GONGWEN_TLS_CERT) {
    throw new ConfigError(['GONGWEN_TLS_CLIENT_CA: client certificates need HTTPS; set GONGWEN_TLS_CERT and GONGWEN_TLS_KEY too']);
  }
  if (config.EVENT_STORE === 'eventstoredb' && !config.EVENTSTORE_URL) {
    throw new ConfigError(['EVENTSTORE_URL: required when EVENT_STORE=eventstoredb (e.g. esdb://localhost:2113?tls=false)']);
  }
  if (config.GONGWEN_MODE === 'production' && !config.GONGWEN_LEDGER_KEY) {
    throw new ConfigError(['GONGWEN_LEDGER_KEY: required in production mode (the key that signs the ledger checkpoints)']);
  }
  if (config.GONGWEN_PERSISTED_QUERIES && config.GONGWEN_PERSISTED_QUERIES !== 'off' && !config.GONGWEN_PERSISTED_QUERIES_DIR) {
    throw new ConfigError(['GONGWEN_PERSISTED_QUERIES_DIR: required when GONGWEN_PERSISTED_QUERIES is allow or only (the folder of the .graphql files)']);
  }
  return config;
}
