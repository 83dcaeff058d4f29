/**
 * Deterministic randomness for the demo: the same city, the same people and the same traffic on
 * every run (only the tokens and ids differ), so a walkthrough written against one demo database
 * holds for the next.
 */
export type Random = () => number;

/** mulberry32: small, fast and good enough to pick names and plans. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** `count` distinct items in random order (all of them when there are fewer). */
export function sample<T>(random: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

/** The commonest surnames, weighted by repetition roughly as they occur in Anhui. */
const SURNAMES = [
  ...'王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦江尹薛闫段雷侯史陶葛顾毛郝龚邵钱戴孔汤武'.split(''),
];

const GIVEN_ONE = [...'伟芳敏静丽强磊军洋勇艳杰娟涛明超霞平刚华文红军斌辉鹏俊慧琳颖峰健凯宁浩亮婷雪梅兵'.split('')];
const GIVEN_TWO = [
  '建国', '建华', '志强', '海燕', '晓东', '春梅', '国庆', '秀英', '桂英', '玉兰', '晓燕', '海涛', '俊杰', '文博', '子豪', '雨涵',
  '欣怡', '浩然', '宇航', '思远', '家豪', '晓明', '丽娟', '红梅', '永刚', '立新', '卫东', '振华', '德明', '春生', '新民', '光明',
  '明辉', '雪莲', '婷婷', '静怡', '嘉伟', '梦琪', '思雨', '天佑', '学军', '志勇', '玉梅', '凤英', '瑞雪', '晨曦', '一鸣', '若溪',
];

/** A plausible Chinese personal name: a surname and a one- or two-character given name. */
export function personName(random: Random): string {
  const given = random() < 0.35 ? pick(random, GIVEN_ONE) : pick(random, GIVEN_TWO);
  return pick(random, SURNAMES) + given;
}
