import { DEMO_SEAL_PASSPHRASE } from '../demo/credentials.ts';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { createLedger } from '../app/ledger.ts';
import { Refusal } from '../domain/refusal.ts';
import type { DemoSize } from '../demo/city.ts';
import { demoClock, planDemo, seedDemo, type DemoResult } from '../demo/seed.ts';

/**
 * `gongwen demo [small]`: fills an empty ledger with the city of 阜阳 (units, accounts, seals) and
 * three weeks of its document traffic, through the real commands, and writes a login token for
 * every account to <GONGWEN_DATA_DIR>/demo-credentials.json. Exit 2 when the ledger is not empty
 * or runs in production mode: the demo never mixes invented records with real ones.
 */
export async function demo(config: Config, args: string[]): Promise<number> {
  const [sizeArg] = args;
  if (sizeArg !== undefined && sizeArg !== 'small' && sizeArg !== 'full') {
    console.error('用法 (usage): gongwen demo [small|full]');
    return 2;
  }
  if (config.GONGWEN_MODE === 'production') {
    console.error('生产模式下不能生成演示数据：演示的单位、印章和账号都是虚构的 (refusing to seed a demo in production mode)');
    return 2;
  }
  const size: DemoSize = sizeArg === 'small' ? 'small' : 'full';
  const started = Date.now();
  const db = await openDatabase(config);
  const plan = planDemo(size);
  // The demo simulates the past weeks: the ledger gets the simulated clock, which ends at the present.
  const clock = demoClock(plan);
  const ledger = await createLedger(config, db, { now: clock.now });
  try {
    const result = await seedDemo(ledger, clock, plan, { dataDir: config.GONGWEN_DATA_DIR, progress: (line) => console.log(line) });
    console.log(guide(config, result, (Date.now() - started) / 1000));
    return 0;
  } catch (error) {
    if (error instanceof Refusal && error.code === 'ALREADY_EXISTS') {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    await ledger.close();
    await db.close();
  }
}

function guide(config: Config, r: DemoResult, seconds: number): string {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const example = r.credentials['fy-zfb-clerk'] ?? Object.values(r.credentials)[0]!;
  const exampleId = Object.keys(r.credentials).find((id) => r.credentials[id] === example)!;
  return [
    '',
    `演示数据已生成 (demo ready, ${seconds.toFixed(1)} s)：${r.units} 个单位、${r.users} 个账号、${r.commandCounts.DraftDocument ?? 0} 件公文、${r.commands} 条命令、${r.events} 条事件`,
    `登录令牌 (bearer tokens, one per account) 已写入：${r.credentialsPath}（仅本人可读 mode 0600，请勿外传）`,
    '',
    '下一步 (next):',
    `  1. 启动服务 (start the server):  npm start    （即 gongwen serve）`,
    `  2. 打开 GraphiQL (open):          http://${host}:${config.PORT}/graphiql`,
    `  3. 请求头 (request header) —— ${example.unit} ${example.name}（${exampleId}，${example.roles.join('+')}）：`,
    `       {"Authorization": "Bearer ${example.token}"}`,
    '     其他账号（领导 LEADER、印章管理员 SEAL_KEEPER、超级管理员 SUPER_ADMIN、监察 INSPECTOR、档案员 ARCHIVIST）的令牌见上面的文件。',
    `     演示印章均由服务器托管，印章密码 (seal passphrase) 为 ${DEMO_SEAL_PASSPHRASE}（印章管理员条目的 sealPassphrase）。`,
    '  4. 第一条查询 (first query):',
    '       { me { userId unitId roles } }',
  ].join('\n');
}
