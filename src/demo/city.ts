import type { Role } from '../../schemas/common.ts';
import type { UnitKind } from '../../schemas/events/directory.ts';
import { personName, seededRandom, type Random } from './names.ts';

/**
 * The demo city: 阜阳市, a prefecture-level city of Anhui, with its two city offices, the party and
 * government departments and people's organisations of the city, three districts with their own
 * departments, and the towns and sub-districts (乡镇/街道) of each district. The names and 机关代字
 * follow the city's real usage closely enough to look familiar to a clerk; the people are invented.
 *
 * `small` keeps the units the traffic names and one district (for tests); `full` is the whole city.
 */
export type DemoSize = 'full' | 'small';

export interface DemoPerson {
  userId: string;
  name: string;
  roles: Role[];
  unitId: string;
}

export interface DemoUnit {
  /** Short stable key the traffic refers to (e.g. `czj` for 市财政局, `yz-xh` for 西湖镇). */
  key: string;
  unitId: string;
  name: string;
  shortName: string;
  kind: UnitKind;
  parentUnitId?: string;
  /** 机关代字: the first is the unit's usual one; the second its series for letters (函). */
  prefixes: string[];
  fondsCode: string;
  sealId: string;
  /** Holds CLERK and STAFF: signs for, registers and files documents, and drafts. */
  clerk: DemoPerson;
  leader: DemoPerson;
  keeper: DemoPerson;
}

export interface DemoDistrict {
  /** 阜阳市颍州区人民政府 … */
  government: DemoUnit;
  departments: DemoUnit[];
  towns: DemoUnit[];
  /** The 区 counterpart of a city department (区教育局 for 市教育局), by the city department's key. */
  counterpart(cityKey: string): DemoUnit | undefined;
}

export interface DemoCity {
  name: string;
  /** 阜阳市人民政府办公室: the first unit, home of the super administrator, inspector and archivist. */
  governmentOffice: DemoUnit;
  /** 中共阜阳市委办公室. */
  partyOffice: DemoUnit;
  /** 市直单位 (party and government departments, people's organisations, development zones). */
  departments: DemoUnit[];
  districts: DemoDistrict[];
  /** Every unit, parents before children: the order they are registered in. */
  units: DemoUnit[];
  admin: DemoPerson;
  inspector: DemoPerson;
  archivist: DemoPerson;
  /** Every person with an account. */
  people: DemoPerson[];
  unit(key: string): DemoUnit;
  unitById(unitId: string): DemoUnit;
}

type Row = readonly [key: string, name: string, shortName: string, prefix: string];

/** Party departments and people's organisations report to the 市委办公室; the rest to the 市政府办公室. */
const PARTY_DEPARTMENTS: readonly Row[] = [
  ['zzb', '中共阜阳市委组织部', '市委组织部', '阜组'],
  ['xcb', '中共阜阳市委宣传部', '市委宣传部', '阜宣'],
  ['tzb', '中共阜阳市委统一战线工作部', '市委统战部', '阜统战'],
  ['zfw', '中共阜阳市委政法委员会', '市委政法委', '阜政法'],
  ['wxb', '中共阜阳市委网络安全和信息化委员会办公室', '市委网信办', '阜网信'],
  ['jw', '中共阜阳市纪律检查委员会', '市纪委监委', '阜纪'],
  ['bb', '中共阜阳市委机构编制委员会办公室', '市委编办', '阜编'],
  ['lgb', '中共阜阳市委老干部局', '市委老干部局', '阜老干'],
  ['jgw', '中共阜阳市直属机关工作委员会', '市直机关工委', '阜直工'],
  ['zgh', '阜阳市总工会', '市总工会', '阜工'],
  ['tsw', '共青团阜阳市委员会', '团市委', '阜团'],
  ['fl', '阜阳市妇女联合会', '市妇联', '阜妇'],
  ['kx', '阜阳市科学技术协会', '市科协', '阜科协'],
  ['cl', '阜阳市残疾人联合会', '市残联', '阜残'],
  ['gsl', '阜阳市工商业联合会', '市工商联', '阜工商'],
];

const GOVERNMENT_DEPARTMENTS: readonly Row[] = [
  ['fgw', '阜阳市发展和改革委员会', '市发展改革委', '阜发改'],
  ['jyj', '阜阳市教育局', '市教育局', '阜教'],
  ['kjj', '阜阳市科学技术局', '市科技局', '阜科'],
  ['jxj', '阜阳市经济和信息化局', '市经信局', '阜经信'],
  ['mzzj', '阜阳市民族宗教事务局', '市民宗局', '阜民宗'],
  ['gaj', '阜阳市公安局', '市公安局', '阜公'],
  ['mzj', '阜阳市民政局', '市民政局', '阜民'],
  ['sfj', '阜阳市司法局', '市司法局', '阜司'],
  ['czj', '阜阳市财政局', '市财政局', '阜财'],
  ['rsj', '阜阳市人力资源和社会保障局', '市人社局', '阜人社'],
  ['zrj', '阜阳市自然资源和规划局', '市自然资源和规划局', '阜自然资规'],
  ['sthj', '阜阳市生态环境局', '市生态环境局', '阜环'],
  ['zjj', '阜阳市住房和城乡建设局', '市住房城乡建设局', '阜建'],
  ['jtj', '阜阳市交通运输局', '市交通运输局', '阜交'],
  ['slj', '阜阳市水利局', '市水利局', '阜水'],
  ['nyj', '阜阳市农业农村局', '市农业农村局', '阜农'],
  ['swj', '阜阳市商务局', '市商务局', '阜商'],
  ['wlj', '阜阳市文化和旅游局', '市文化旅游局', '阜文旅'],
  ['wjw', '阜阳市卫生健康委员会', '市卫生健康委', '阜卫健'],
  ['tyjr', '阜阳市退役军人事务局', '市退役军人局', '阜退役'],
  ['yjj', '阜阳市应急管理局', '市应急局', '阜应急'],
  ['sjj', '阜阳市审计局', '市审计局', '阜审'],
  ['gzw', '阜阳市人民政府国有资产监督管理委员会', '市国资委', '阜国资'],
  ['scj', '阜阳市市场监督管理局', '市市场监管局', '阜市监'],
  ['tyj', '阜阳市体育局', '市体育局', '阜体'],
  ['tjj', '阜阳市统计局', '市统计局', '阜统'],
  ['ybj', '阜阳市医疗保障局', '市医保局', '阜医保'],
  ['sjzy', '阜阳市数据资源管理局', '市数据资源局', '阜数据'],
  ['cgj', '阜阳市城市管理局', '市城管局', '阜城管'],
  ['lyj', '阜阳市林业局', '市林业局', '阜林'],
  ['xfj', '阜阳市信访局', '市信访局', '阜信'],
  ['rfb', '阜阳市人民防空办公室', '市人防办', '阜人防'],
  ['lsj', '阜阳市粮食和物资储备局', '市粮食物资局', '阜粮'],
  ['jrj', '阜阳市地方金融监督管理局', '市地方金融监管局', '阜金'],
  ['tcj', '阜阳市投资促进局', '市投资促进局', '阜投促'],
  ['ggzy', '阜阳市公共资源交易监督管理局', '市公管局', '阜公管'],
  ['zwfw', '阜阳市政务服务管理局', '市政务服务局', '阜政务'],
  ['jgsw', '阜阳市机关事务管理服务中心', '市机关事务中心', '阜机关'],
  ['gjj', '阜阳市住房公积金管理中心', '市住房公积金中心', '阜房金'],
  ['dag', '阜阳市档案馆', '市档案馆', '阜档'],
  ['wb', '阜阳市人民政府外事办公室', '市外办', '阜外'],
  ['qxj', '阜阳市气象局', '市气象局', '阜气'],
  ['xfzd', '阜阳市消防救援支队', '市消防救援支队', '阜消'],
  ['gxs', '阜阳市供销合作社联合社', '市供销社', '阜供'],
  ['kfq', '阜阳经济技术开发区管理委员会', '阜阳经开区管委会', '阜开管'],
];

/** The departments the traffic names, kept in the small city. */
const CORE = new Set(['jyj', 'gaj', 'czj', 'rsj', 'sthj', 'zjj', 'slj', 'nyj', 'wjw', 'yjj', 'sjj', 'scj', 'tjj', 'sjzy', 'fgw', 'zzb']);

/** District departments, by the key of their city counterpart: [key, name after the district, prefix after the district's]. */
const DISTRICT_DEPARTMENTS: readonly (readonly [string, string, string])[] = [
  ['fgw', '发展和改革委员会', '发改'],
  ['jyj', '教育局', '教'],
  ['czj', '财政局', '财'],
  ['rsj', '人力资源和社会保障局', '人社'],
  ['zjj', '住房和城乡建设局', '建'],
  ['nyj', '农业农村局', '农'],
  ['wjw', '卫生健康委员会', '卫健'],
  ['yjj', '应急管理局', '应急'],
  ['mzj', '民政局', '民'],
];
const SMALL_DISTRICT_DEPARTMENTS = new Set(['jyj', 'nyj', 'yjj']);

interface DistrictRow {
  key: string;
  name: string;
  /** 区政府 prefix (颍州政), and the stem district departments' prefixes start with (颍州教). */
  prefix: string;
  stem: string;
  towns: readonly (readonly [key: string, name: string])[];
}

const DISTRICTS: readonly DistrictRow[] = [
  {
    key: 'yz',
    name: '颍州区',
    prefix: '颍州政',
    stem: '颍州',
    towns: [
      ['gl', '鼓楼街道'], ['wf', '文峰街道'], ['qh', '清河街道'], ['yx', '颍西街道'], ['xh', '西湖镇'], ['sh', '三合镇'],
      ['cj', '程集镇'], ['stj', '三塔集镇'], ['mz', '马寨乡'], ['wd', '王店镇'], ['jl', '九龙镇'],
    ],
  },
  {
    key: 'yd',
    name: '颍东区',
    prefix: '东政',
    stem: '东',
    towns: [
      ['hd', '河东街道'], ['xh', '新华街道'], ['xy', '向阳街道'], ['yz', '袁寨镇'], ['ch', '插花镇'], ['zz', '枣庄镇'],
      ['kz', '口孜镇'], ['zw', '正午镇'], ['ylz', '杨楼孜镇'], ['lm', '老庙镇'], ['xwj', '新乌江镇'], ['rm', '冉庙乡'],
    ],
  },
  {
    key: 'yq',
    name: '颍泉区',
    prefix: '泉政',
    stem: '泉',
    towns: [
      ['zs', '中市街道'], ['zp', '周棚街道'], ['wm', '伍明镇'], ['nlz', '宁老庄镇'], ['wj', '闻集镇'], ['xl', '行流镇'],
      ['sj', '苏集镇'], ['lj', '老集镇'],
    ],
  },
];
const SMALL_TOWNS = 3;

const CITY = '阜阳市';

/** A town's 机关代字: the town's name without its 镇/乡/街道, plus 政 (镇/乡 government) or 办 (街道办事处). */
function townPrefix(town: string): string {
  const street = town.endsWith('街道');
  return (street ? town.slice(0, -2) : town.slice(0, -1)) + (street ? '办' : '政');
}

export function planCity(size: DemoSize = 'full', seed = 20_260_101): DemoCity {
  const random: Random = seededRandom(seed);
  const people: DemoPerson[] = [];
  const units: DemoUnit[] = [];
  let fonds = 0;

  const person = (userId: string, unitId: string, roles: Role[]): DemoPerson => {
    const p = { userId, name: personName(random), roles, unitId };
    people.push(p);
    return p;
  };
  const addUnit = (u: { key: string; unitId: string; name: string; shortName: string; kind: UnitKind; parentUnitId?: string; prefixes: string[] }): DemoUnit => {
    const unit: DemoUnit = {
      ...u,
      // 全宗号: the archives bureau numbers the fonds of the city's units in order.
      fondsCode: String(++fonds).padStart(4, '0'),
      sealId: `${u.unitId}-seal`,
      clerk: person(`${u.unitId}-clerk`, u.unitId, ['CLERK', 'STAFF']),
      leader: person(`${u.unitId}-leader`, u.unitId, ['LEADER']),
      keeper: person(`${u.unitId}-keeper`, u.unitId, ['SEAL_KEEPER']),
    };
    units.push(unit);
    return unit;
  };

  const governmentOffice = addUnit({
    key: 'zfb',
    unitId: 'fy-zfb',
    name: '阜阳市人民政府办公室',
    shortName: '市政府办公室',
    kind: 'city-office',
    prefixes: ['阜政办', '阜政办秘', '阜政办函'],
  });
  const admin = person('fy-admin', governmentOffice.unitId, ['SUPER_ADMIN']);
  const inspector = person('fy-inspector', governmentOffice.unitId, ['INSPECTOR']);
  const archivist = person('fy-archivist', governmentOffice.unitId, ['ARCHIVIST']);

  const partyOffice = addUnit({
    key: 'swb',
    unitId: 'fy-swb',
    name: '中共阜阳市委办公室',
    shortName: '市委办公室',
    kind: 'city-office',
    prefixes: ['阜办', '阜办发', '阜办函'],
  });

  const keep = (rows: readonly Row[]) => (size === 'full' ? rows : rows.filter(([key]) => CORE.has(key)));
  const department = (parent: DemoUnit) => ([key, name, shortName, prefix]: Row): DemoUnit =>
    addUnit({
      key,
      unitId: `fy-${key}`,
      name,
      shortName,
      kind: key === 'kfq' ? 'other' : 'city-department',
      parentUnitId: parent.unitId,
      prefixes: [prefix, `${prefix}函`],
    });
  const departments = [...keep(PARTY_DEPARTMENTS).map(department(partyOffice)), ...keep(GOVERNMENT_DEPARTMENTS).map(department(governmentOffice))];

  const districts: DemoDistrict[] = [];
  for (const d of size === 'full' ? DISTRICTS : DISTRICTS.slice(0, 1)) {
    const government = addUnit({
      key: d.key,
      unitId: `fy-${d.key}`,
      name: `${CITY}${d.name}人民政府`,
      shortName: `${d.name}政府`,
      kind: 'district',
      parentUnitId: governmentOffice.unitId,
      prefixes: [d.prefix, `${d.prefix}办`, `${d.prefix}函`],
    });
    const deptRows = size === 'full' ? DISTRICT_DEPARTMENTS : DISTRICT_DEPARTMENTS.filter(([k]) => SMALL_DISTRICT_DEPARTMENTS.has(k));
    const byCityKey = new Map<string, DemoUnit>();
    const deps = deptRows.map(([cityKey, name, stem]) => {
      const unit = addUnit({
        key: `${d.key}-${cityKey}`,
        unitId: `fy-${d.key}-${cityKey}`,
        name: `${CITY}${d.name}${name}`,
        shortName: `${d.name}${name.replace('人力资源和社会保障局', '人社局').replace('发展和改革委员会', '发展改革委').replace('卫生健康委员会', '卫生健康委')}`,
        kind: 'district-department',
        parentUnitId: government.unitId,
        prefixes: [`${d.stem}${stem}`, `${d.stem}${stem}函`],
      });
      byCityKey.set(cityKey, unit);
      return unit;
    });
    const towns = (size === 'full' ? d.towns : d.towns.slice(0, SMALL_TOWNS)).map(([key, town]) =>
      addUnit({
        key: `${d.key}-${key}`,
        unitId: `fy-${d.key}-${key}`,
        name: `${CITY}${d.name}${town}${town.endsWith('街道') ? '办事处' : '人民政府'}`,
        shortName: town,
        kind: 'town',
        parentUnitId: government.unitId,
        prefixes: [townPrefix(town)],
      }),
    );
    districts.push({ government, departments: deps, towns, counterpart: (cityKey) => byCityKey.get(cityKey) });
  }

  const byKey = new Map(units.map((u) => [u.key, u]));
  const byId = new Map(units.map((u) => [u.unitId, u]));
  return {
    name: CITY,
    governmentOffice,
    partyOffice,
    departments,
    districts,
    units,
    admin,
    inspector,
    archivist,
    people,
    unit(key) {
      const u = byKey.get(key);
      if (!u) throw new Error(`the demo city has no unit with key ${key}`);
      return u;
    },
    unitById(unitId) {
      const u = byId.get(unitId);
      if (!u) throw new Error(`the demo city has no unit ${unitId}`);
      return u;
    },
  };
}
