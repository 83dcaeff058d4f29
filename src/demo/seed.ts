import type { Ledger } from '../app/ledger.ts';
import { categoryHasStreams } from '../app/commands/deps.ts';
import { Refusal } from '../domain/refusal.ts';
import { planCity, type DemoCity, type DemoSize } from './city.ts';
import { chinaDay, chinaTime, officeDays, SimulatedClock } from './clock.ts';
import { demoCommands } from './commands.ts';
import { credentialsFile, issueDemoCredentials, writeCredentialsFile, type DemoCredentials } from './credentials.ts';
import { registerDirectory } from './directory.ts';
import { Schedule, SLOTS_PER_DAY } from './schedule.ts';
import { planTraffic } from './traffic.ts';
import { recordDailyCheck } from '../supervision/daily-check.ts';
import { scanDeadlines } from '../supervision/supervision.ts';

/**
 * `gongwen demo`: a city's directory and a few weeks of its document traffic, written through the
 * ledger's real commands into an empty ledger, plus a login token for every account.
 */

export interface DemoPlan {
  size: DemoSize;
  city: DemoCity;
  /** Office days of the simulated traffic (China calendar), oldest first; the last is today. */
  days: string[];
  /** Where the simulated clock starts: the morning of the first office day, when the city is installed. */
  start: Date;
  sealValidFrom: string;
  sealValidTo: string;
}

/** Three weeks of traffic for the full city; three days and today for the small one (tests). */
const WORKING_DAYS: Record<DemoSize, number> = { full: 15, small: 3 };

export function planDemo(size: DemoSize = 'full', now: Date = new Date()): DemoPlan {
  const today = chinaDay(now);
  const days = officeDays(today, WORKING_DAYS[size]);
  const year = Number(today.slice(0, 4));
  return {
    size,
    city: planCity(size),
    days,
    start: chinaTime(days[0]!, 7, 30),
    // Seals valid from the start of last year, for five years.
    sealValidFrom: `${year - 1}-01-01T00:00:00.000+08:00`,
    sealValidTo: `${year + 4}-01-01T00:00:00.000+08:00`,
  };
}

/** The clock to create the demo's ledger with: createLedger(config, db, { now: clock.now }). */
export const demoClock = (plan: DemoPlan): SimulatedClock => new SimulatedClock(plan.start);

export interface DemoResult {
  credentialsPath: string;
  credentials: DemoCredentials;
  units: number;
  users: number;
  commands: number;
  commandCounts: Record<string, number>;
  events: number;
}

export const NOT_EMPTY_MESSAGE =
  '数据库中已有单位登记，演示数据只能写入全新的空账本，不会与已有数据混在一起。请换一个数据目录（GONGWEN_DATA_DIR）或数据库（DATABASE_URL）后再运行 gongwen demo (the ledger already has units: the demo only seeds an empty ledger)';

export async function seedDemo(
  ledger: Ledger,
  clock: SimulatedClock,
  plan: DemoPlan,
  opts: { dataDir: string; progress?: (line: string) => void },
): Promise<DemoResult> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const report = opts.progress ?? (() => {});
  const progress = (line: string) => report(`${line} [${elapsed()}]`);
  // A second run would register nothing anyway (the bootstrap is closed once a unit exists), but
  // it would fail halfway with a bootstrap refusal; say plainly why instead, before writing anything.
  if (await categoryHasStreams(ledger.db.pool, 'unit')) throw new Refusal('ALREADY_EXISTS', NOT_EMPTY_MESSAGE);

  const { run, counts } = demoCommands(ledger, clock.now);
  const { city } = plan;
  report(`正在生成演示数据：${city.name}，${plan.days[0]} 至 ${plan.days.at(-1)} (seeding the demo ledger)…`);
  clock.advanceTo(plan.start);
  await registerDirectory(run, city, { sealValidFrom: plan.sealValidFrom, sealValidTo: plan.sealValidTo });
  progress(`  单位 ${city.units.length} 个、账号 ${city.people.length} 个、印章 ${city.units.length} 枚已登记 (directory registered)`);

  const schedule = new Schedule(clock, plan.days, () => ledger.settle());
  planTraffic(schedule, run, city, plan.size);
  await schedule.play((slot) => {
    if (slot % SLOTS_PER_DAY === SLOTS_PER_DAY - 1) progress(`  ${schedule.dayOf(slot)} 的公文往来已模拟 (traffic of ${schedule.dayOf(slot)} played)`);
  });

  // The simulation has reached the present: tokens are issued today, on the real clock.
  clock.catchUp();
  const credentials = await issueDemoCredentials(run, city);
  const credentialsPath = credentialsFile(opts.dataDir);
  await writeCredentialsFile(credentialsPath, credentials);
  progress(`  ${city.people.length} 个登录令牌已签发 (tokens issued)`);
  // 版式文件: what `gongwen serve` does in the background, done here so that a year closed and
  // exported right after the demo carries each document's PDF/A and takes its 页数 from it.
  await ledger.renderings.catchUp();
  const { rows: renderings } = await ledger.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE type = 'DocumentRendered'");
  progress(`  ${renderings[0]!.n} 件版式文件已生成 (renderings recorded)`);
  await ledger.settle();
  // 电子监察: what the supervision jobs of `gongwen serve` would have recorded had it run all along —
  // the deadlines, the warnings (each with the moment it fell due), their escalations and clearings,
  // and the daily check of every office day closed before today.
  const jobDeps = { store: ledger.store, pool: ledger.db.pool, config: ledger.config, supervision: ledger.supervision, now: clock.now } as never;
  await scanDeadlines(jobDeps);
  for (const day of plan.days.slice(0, -1).filter((d) => ledger.supervision.calendar.isWorkingDay(d))) await recordDailyCheck(jobDeps, day);
  await ledger.settle();
  progress('  时限、预警与每日检查已记录 (supervision deadlines, warnings and daily checks recorded)');
  // Sign a checkpoint over everything the demo wrote, so `gongwen verify` has a log to check
  // (and finds no event left outside every signed checkpoint).
  await ledger.merkleLog.checkpoint();
  progress('  读模型与全局日志已更新 (read models and Merkle log caught up)');

  const commandCounts = Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
  return {
    credentialsPath,
    credentials,
    units: city.units.length,
    users: city.people.length,
    commands: [...counts.values()].reduce((a, b) => a + b, 0),
    commandCounts,
    events: (await ledger.status()).events,
  };
}
