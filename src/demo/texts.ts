import type { Retentions } from '../../schemas/common.ts';

export type Retention = (typeof Retentions)[number];

/**
 * What the demo's documents say. Titles follow the statutory pattern (关于……的通知/请示/批复/函),
 * bodies the layout of GB/T 9704: 主送机关, paragraphs opened by two full-width spaces, numbered
 * points, the closing formula (特此通知。/妥否，请批示。/请予函复。), the issuing body and the 成文日期.
 */

export type DocType = '通知' | '通报' | '请示' | '批复' | '函' | '报告' | '意见' | '纪要';
export type Urgency = '特急' | '加急' | '平件';

export interface DocText {
  title: string;
  docType: DocType;
  urgency: Urgency;
  body: string;
  /** How long the archives keep it (保管期限) when it is filed. */
  retention: Retention;
  /** 机关代字 series: 'main' (阜政办), 'letter' (阜政办函), 'secretariat' (阜政办秘, for 批复). */
  series?: 'main' | 'letter' | 'secretariat';
  /** 会议时间 of a 会议通知 (the recipients must sign for and handle it before the meeting). */
  meetingAt?: string;
}

const P = '　　';

/** 2026-11-03 → 2026年11月3日, as a 成文日期 is written. */
export function cnDate(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

const yearOf = (day: string) => Number(day.slice(0, 4));
const monthOf = (day: string) => Number(day.slice(5, 7));
const CN_NUM = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

export function body(parts: { to: string; opening: string; points?: string[]; closing: string; issuer: string; day: string; attachment?: string }): string {
  const lines = [`${parts.to}：`, P + parts.opening];
  const points = parts.points ?? [];
  // A single point is a paragraph; only a list of them is numbered 一、二、三.
  points.forEach((p, i) => lines.push(points.length === 1 ? P + p : `${P}${CN_NUM[i]}、${p}`));
  lines.push(P + parts.closing);
  if (parts.attachment) lines.push('', `${P}附件：${parts.attachment}`);
  lines.push('', `${P}${P}${P}${P}${P}${P}${parts.issuer}`, `${P}${P}${P}${P}${P}${P}${cnDate(parts.day)}`);
  return lines.join('\n');
}

/** What the text needs to know: who writes, to whom (as the 主送 line reads), on which day. */
export interface Writing {
  issuer: string;
  to: string;
  day: string;
}

// ---------------------------------------------------------------------------------------------
// 通知 and 通报 from the two city offices to every unit of the city

export const cityNotices: readonly ((w: Writing) => DocText)[] = [
  (w) => ({
    title: `关于做好${yearOf(w.day)}年冬季安全生产工作的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: '入冬以来，我市气温持续走低，道路交通、建筑施工、燃气使用、人员密集场所等领域安全风险明显上升。为切实做好今冬明春安全生产工作，经市政府同意，现就有关事项通知如下：',
      points: [
        '压紧压实安全生产责任。各地各部门要严格落实“党政同责、一岗双责、齐抓共管、失职追责”，主要负责同志要亲自部署、亲自督导。',
        '深入开展隐患排查整治。聚焦城镇燃气、交通运输、建筑施工、消防、危险化学品等重点行业领域，建立问题隐患和整改责任“两个清单”，实行闭环管理。',
        '严格落实值班值守制度。执行领导带班和24小时值班制度，遇有突发事件按规定第一时间报告，严禁迟报、漏报、谎报、瞒报。',
      ],
      closing: '请各地各部门于12月20日前将工作开展情况报市安委会办公室（市应急局）。特此通知。',
    }),
  }),
  (w) => ({
    title: `关于印发《阜阳市${yearOf(w.day) + 1}年政务公开工作要点》的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'Y',
    body: body({
      ...w,
      opening: `《阜阳市${yearOf(w.day) + 1}年政务公开工作要点》已经市政府同意，现印发给你们，请结合实际认真抓好落实。`,
      points: [
        '围绕稳经济、促发展加强政策发布解读，重要政策文件与解读材料同步组织、同步审签、同步部署。',
        '持续深化基层政务公开标准化规范化建设，推动公开内容向乡镇（街道）、村（社区）延伸。',
        '加强政府网站和政务新媒体管理，严格落实信息发布审核制度。',
      ],
      closing: '各地各部门要明确责任分工，于每季度末将工作进展情况报市政府办公室（市政务公开办）。',
      attachment: `阜阳市${yearOf(w.day) + 1}年政务公开工作要点`,
    }),
  }),
  (w) => ({
    title: `关于开展${yearOf(w.day)}年度政府系统公文质量检查的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: '为进一步提高公文质量和办文效率，根据《党政机关公文处理工作条例》和《党政机关公文格式》（GB/T 9704—2012），市政府办公室决定开展年度政府系统公文质量检查。现将有关事项通知如下：',
      points: [
        '检查范围：各单位本年度以本单位名义制发的公文，每单位随机抽取20件。',
        '检查内容：行文规则、文种使用、公文格式、文字表述、发文字号及办文时限等。',
        '工作要求：各单位先行自查，形成自查报告，连同抽查公文电子版一并报送。',
      ],
      closing: '请于本月底前通过电子公文系统报送自查报告。特此通知。',
    }),
  }),
  (w) => ({
    title: `关于做好${yearOf(w.day) + 1}年元旦春节期间有关工作的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: '元旦、春节即将来临。为确保全市人民群众度过欢乐祥和、安全稳定的节日，经市委、市政府同意，现就做好节日期间有关工作通知如下：',
      points: [
        '扎实做好困难群众帮扶救助，及时足额发放各类救助资金，做好走访慰问工作。',
        '全力保障市场供应和价格稳定，加强重要民生商品产销衔接和市场监测。',
        '严格落实中央八项规定及其实施细则精神，坚决防止“四风”问题反弹回潮。',
        '认真做好节日期间值班值守和突发事件应对，确保信息畅通、处置及时。',
      ],
      closing: '特此通知。',
    }),
  }),
  (w) => ({
    title: `关于进一步加强政务值班工作的通知`,
    docType: '通知',
    urgency: '加急',
    retention: 'D10',
    body: body({
      ...w,
      opening: '近期，部分单位存在值班电话无人接听、信息报送不及时等问题。为进一步加强政务值班工作，现就有关要求通知如下：',
      points: [
        '严格执行24小时值班和领导带班制度，值班人员不得擅离岗位。',
        '突发事件信息须在事发后30分钟内电话报告、1小时内书面报告。',
        '各单位于每周五下午将下周值班表报市政府总值班室。',
      ],
      closing: '市政府办公室将不定期开展值班抽查，抽查情况在全市通报。特此通知。',
    }),
  }),
  (w) => ({
    title: `关于进一步精简文件简报的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: '为深入贯彻落实中央八项规定精神，持续为基层减负，经市委同意，现就进一步精简文件简报有关事项通知如下：',
      points: [
        '严控发文数量，可发可不发的一律不发，可合并的一律合并，上级文件已有明确规定的不再转发。',
        '严控文件篇幅，一般性文件不超过5000字，提倡“短实新”文风。',
        '严格简报管理，各单位原则上只保留一种简报，不得以任何形式要求基层报送简报。',
      ],
      closing: '市委办公室将会同有关部门对执行情况进行督促检查。特此通知。',
    }),
  }),
  (w) => ({
    title: `关于做好冬季清洁取暖和燃气安全工作的通知`,
    docType: '通知',
    urgency: '加急',
    retention: 'D10',
    body: body({
      ...w,
      opening: '随着气温下降，群众取暖用气需求增加，一氧化碳中毒和燃气事故风险加大。为切实保障人民群众生命财产安全，现就有关事项通知如下：',
      points: [
        '开展燃气安全专项排查，重点检查餐饮场所、老旧小区、城中村等区域的燃气设施和使用安全。',
        '加强清洁取暖设施运行维护，确保供暖稳定。',
        '广泛开展安全用气、防范一氧化碳中毒宣传，提醒群众注意室内通风。',
      ],
      closing: '各地各部门要确保各项措施落实到位。特此通知。',
    }),
  }),
];

/** 通报 from the 市政府办公室 on the last quarter's 好差评 results. */
export function serviceReport(w: Writing): DocText {
  const quarter = Math.max(1, Math.ceil(monthOf(w.day) / 3) - 1);
  return {
    title: `关于${yearOf(w.day)}年第${CN_NUM[quarter - 1]}季度全市政务服务“好差评”情况的通报`,
    docType: '通报',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: `${yearOf(w.day)}年第${CN_NUM[quarter - 1]}季度，全市政务服务“好差评”系统共收到评价数据一百二十余万条，好评率99.86%。现将有关情况通报如下：`,
      points: [
        '总体情况。各地各部门高度重视“好差评”工作，差评整改率、回访率均达到100%。',
        '存在问题。个别单位差评整改不及时，部分窗口存在“体外循环”现象。',
        '下步要求。各地各部门要对照通报问题逐项整改，健全差评核实、整改、反馈闭环机制。',
      ],
      closing: '希望受到表扬的单位再接再厉，其他单位以先进为榜样，持续提升政务服务水平。',
    }),
  };
}

/** 会议通知: attendance is reported back (答复) by each recipient. */
export function meetingNotice(w: Writing, meetingDay: string): DocText {
  return {
    title: '关于召开全市冬春季森林防灭火和安全生产工作会议的通知',
    docType: '通知',
    urgency: '加急',
    retention: 'D10',
    meetingAt: `${meetingDay}T09:00:00+08:00`,
    body: body({
      ...w,
      opening: '经市政府同意，定于近期召开全市冬春季森林防灭火和安全生产工作会议。现将有关事项通知如下：',
      points: [
        `会议时间：${cnDate(meetingDay)}上午9:00，会期半天。`,
        '会议地点：市行政中心东楼三楼第一会议室。',
        '参会人员：各县区政府分管负责同志，市直有关单位主要负责同志。',
        '有关要求：请参会人员提前10分钟入场，会议期间手机调至静音。',
      ],
      closing: '请于会前一日下午5时前将参会人员名单通过电子公文系统回复市政府办公室（市政府总值班室）。',
    }),
  };
}

/** A notice asking every recipient to report by a deadline: the source of 催办 and 督办. */
export function reportingNotice(w: Writing, dueDay: string): DocText {
  return {
    title: `关于报送${yearOf(w.day)}年民生实事项目推进情况的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: `为全面掌握${yearOf(w.day)}年民生实事项目推进情况，确保按期完成年度目标任务，现就报送有关事项通知如下：`,
      points: [
        '报送内容：项目建设进度、资金拨付、存在问题及下步措施。',
        `报送时间：请于${cnDate(dueDay)}前报送，逾期未报的将予以督办。`,
        '报送方式：经单位主要负责同志审签后通过电子公文系统报送。',
      ],
      closing: '特此通知。',
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// 特急 and 加急

export function coldWaveAlert(w: Writing): DocText {
  return {
    title: '关于切实做好寒潮大风降温天气防范应对工作的紧急通知',
    docType: '通知',
    urgency: '特急',
    retention: 'D30',
    body: body({
      ...w,
      opening: '据市气象台预报，受强冷空气影响，今天夜里至后天我市将出现寒潮大风降温天气，最低气温降至零下6℃左右，并伴有6至7级偏北风。为做好防范应对工作，现紧急通知如下：',
      points: [
        '立即组织力量对危旧房屋、临时工棚、户外广告牌、大棚设施等开展隐患排查，及时转移危险区域人员。',
        '加强道路交通安全管控，对易结冰路段和桥梁提前做好防滑准备。',
        '做好困难群众、流浪乞讨人员等群体的防寒保暖和救助工作。',
        '严格落实24小时值班，遇有险情灾情第一时间报告。',
      ],
      closing: '请各县区政府于明日12时前将防范应对措施落实情况报市应急局。',
    }),
  };
}

export function safetyCheckAlert(w: Writing): DocText {
  return {
    title: '关于立即开展安全生产隐患大排查大整治的紧急通知',
    docType: '通知',
    urgency: '特急',
    retention: 'D30',
    body: body({
      ...w,
      opening: '近日，外省接连发生多起较大生产安全事故，教训十分深刻。经市安委会主任同意，现就立即开展安全生产隐患大排查大整治紧急通知如下：',
      points: [
        '各县区、各有关部门要立即组织对危险化学品、燃气、道路交通、建筑施工、人员密集场所等重点行业领域开展拉网式排查。',
        '对排查发现的重大隐患，要挂牌督办、限期整改，整改不到位的一律停产停业。',
        '严格落实领导带班和24小时值班制度，确保信息报送渠道畅通。',
      ],
      closing: '请于收文后2小时内将部署情况报市应急管理局，排查整治情况每日17时前报送。',
    }),
  };
}

export function fireAlert(w: Writing): DocText {
  return {
    title: '关于进一步加强冬季森林防火和野外用火管控的紧急通知',
    docType: '通知',
    urgency: '特急',
    retention: 'D30',
    body: body({
      ...w,
      opening: '入冬以来我市降水偏少，林区可燃物载量大，森林火险等级持续偏高。为坚决防范森林火灾发生，现紧急通知如下：',
      points: [
        '严格野外火源管控，林区及周边禁止烧荒、烧秸秆、上坟烧纸等一切野外用火。',
        '各级森林防火指挥部要加强巡山护林，扑火队伍24小时集结待命。',
        '一旦发生火情，要第一时间报告、第一时间处置，严禁迟报、漏报、瞒报。',
      ],
      closing: '请各县区政府于今日内将贯彻落实情况报市森林防灭火指挥部办公室（市应急管理局）。',
    }),
  };
}

export function iceAlert(w: Writing): DocText {
  return {
    title: '关于做好近期低温雨雪冰冻天气防范应对工作的紧急通知',
    docType: '通知',
    urgency: '特急',
    retention: 'D30',
    body: body({
      ...w,
      opening: '据气象部门预报，未来三天我市将出现明显雨雪冰冻天气。经市政府领导同意，现就做好防范应对工作紧急通知如下：',
      points: [
        '各县区、各有关部门要立即进入应急状态，主要负责同志要坐镇指挥。',
        '交通运输、公安交管部门要加强路面巡查和除冰保畅，保障重点物资运输。',
        '住房城乡建设、城市管理部门要做好供水、供气、供暖设施防冻保障。',
      ],
      closing: '有关情况请于今日18时前报市政府总值班室。',
    }),
  };
}

export function fluNotice(w: Writing): DocText {
  return {
    title: '关于加强冬春季流感等呼吸道传染病防控工作的通知',
    docType: '通知',
    urgency: '加急',
    retention: 'D30',
    body: body({
      ...w,
      opening: '当前已进入冬春季呼吸道传染病高发期，流感病毒活动水平持续上升。为切实做好防控工作，现就有关事项通知如下：',
      points: [
        '加强监测预警，二级以上医疗机构要严格落实发热门诊24小时接诊制度。',
        '做好学校、养老机构、托育机构等重点场所的防控指导和聚集性疫情处置。',
        '科学调配医疗资源，保障药品和检测试剂供应。',
      ],
      closing: '请于每周一12时前报送上周防控工作开展情况。特此通知。',
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// 请示 (to the 市政府办公室) and their 批复

export interface Request {
  key: string;
  subject: string;
  ask: string;
  points: string[];
  approval: string;
}

export const requests: readonly Request[] = [
  {
    key: 'jyj',
    subject: '申请拨付城乡义务教育学校冬季取暖经费',
    ask: '为保障全市城乡义务教育学校冬季正常教学秩序，我局拟申请拨付冬季取暖经费共计1286万元，用于农村学校取暖设施改造和运行保障。',
    points: ['资金用途：取暖设施改造856万元，运行保障430万元。', '资金来源：市级教育专项资金。'],
    approval: '同意从市级教育专项资金中拨付城乡义务教育学校冬季取暖经费1286万元。请市财政局按程序拨付，市教育局加强资金监管，确保专款专用。',
  },
  {
    key: 'slj',
    subject: '实施颍河城区段堤防加固应急工程',
    ask: '今年汛后检查发现，颍河城区段部分堤防存在渗漏和护坡损毁隐患。为确保明年安全度汛，我局拟实施堤防加固应急工程，估算总投资2350万元。',
    points: ['工程范围：颍河城区段左岸K3+200至K5+800段。', '建设工期：今冬明春，明年4月底前完工。'],
    approval: '原则同意实施颍河城区段堤防加固应急工程。请市水利局严格履行基本建设程序，加强质量安全管理，确保明年汛前完工。',
  },
  {
    key: 'wjw',
    subject: '开展冬春季呼吸道传染病防控专项行动',
    ask: '为有效应对冬春季呼吸道传染病流行高峰，我委拟在全市开展为期三个月的防控专项行动，所需经费从年度公共卫生经费中统筹解决。',
    points: ['行动时间：本年12月至次年2月。', '重点任务：监测预警、医疗救治、重点场所防控和宣传引导。'],
    approval: '同意开展冬春季呼吸道传染病防控专项行动。请市卫生健康委牵头制定具体方案，各有关部门密切配合。',
  },
  {
    key: 'nyj',
    subject: '下达高标准农田建设市级配套资金',
    ask: '根据省下达我市的高标准农田建设任务，我局会同市财政局测算，需安排市级配套资金4200万元。',
    points: ['建设任务：新建高标准农田28万亩。', '配套标准：每亩150元。'],
    approval: '同意下达高标准农田建设市级配套资金4200万元。请市农业农村局会同市财政局抓紧分解下达，加强项目实施监管。',
  },
  {
    key: 'zjj',
    subject: '调整城镇老旧小区改造项目计划',
    ask: '因部分小区居民意见未能统一，我局拟将原计划中3个小区调出，另行增补4个群众改造意愿强烈的小区。',
    points: ['调出小区：共3个，涉及居民612户。', '增补小区：共4个，涉及居民835户。'],
    approval: '同意调整城镇老旧小区改造项目计划。请市住房城乡建设局做好居民沟通工作，确保年度任务按期完成。',
  },
  {
    key: 'sthj',
    subject: '设立秋冬季大气污染防治专项资金',
    ask: '为完成年度空气质量改善目标，我局拟申请设立秋冬季大气污染防治专项资金800万元，用于扬尘管控、散煤治理和监测能力建设。',
    points: ['扬尘管控及散煤治理450万元。', '监测能力建设350万元。'],
    approval: '同意设立秋冬季大气污染防治专项资金800万元。请市生态环境局制定资金使用计划，报市财政局审核后实施。',
  },
];

export function requestText(r: Request, w: Writing): DocText {
  return {
    title: `关于${r.subject}的请示`,
    docType: '请示',
    urgency: '平件',
    retention: 'Y',
    body: body({ ...w, opening: `${r.ask}现将有关情况请示如下：`, points: r.points, closing: '妥否，请批示。' }),
  };
}

/** 请示 of towns to their district government (the key names the town). */
export const townRequests: readonly Request[] = [
  {
    key: 'yz-gl',
    subject: '申请拨付老旧小区加装电梯补助资金',
    ask: '我街道辖区内已有12个老旧小区完成加装电梯意见征询和方案公示，按照区有关政策，拟申请区级补助资金360万元。',
    points: ['补助对象：辖区内完成加装的12个小区、共30部电梯。', '补助标准：每部电梯12万元。'],
    approval: '同意拨付鼓楼街道老旧小区加装电梯补助资金360万元。请区财政局按程序拨付，鼓楼街道加强施工安全监管，确保按期投入使用。',
  },
  {
    key: 'yd-kz',
    subject: '实施口孜老街风貌改造项目',
    ask: '为保护传统街区风貌、发展文化旅游，我镇拟实施口孜老街风貌改造项目，估算总投资1850万元，其中申请区级补助600万元。',
    points: ['改造范围：老街主街1.2公里及两侧沿街建筑。', '资金来源：争取上级专项资金、区级补助和镇自筹。'],
    approval: '原则同意实施口孜老街风貌改造项目。请口孜镇进一步优化设计方案，严格履行项目建设程序，区级补助资金按工程进度拨付。',
  },
  {
    key: 'yq-wm',
    subject: '调整镇区农贸市场建设选址',
    ask: '原规划农贸市场地块因涉及基本农田无法实施，我镇经比选，拟将选址调整至镇区振兴路与伍明大道交叉口东北侧。',
    points: ['新选址面积：约18亩，为集体建设用地。', '已征求区自然资源和规划分局意见。'],
    approval: '同意伍明镇农贸市场建设选址调整至振兴路与伍明大道交叉口东北侧。请伍明镇依法依规办理用地、规划等手续。',
  },
];

export function approvalText(r: Request, w: Writing, requestNumber: string, requester: string, authority = '市政府'): DocText {
  return {
    title: `关于${r.subject}的批复`,
    docType: '批复',
    urgency: '平件',
    retention: 'Y',
    series: 'secretariat',
    body: body({ ...w, to: requester, opening: `你单位《关于${r.subject}的请示》（${requestNumber}）收悉。经${authority}研究，现批复如下：`, points: [r.approval], closing: '此复。' }),
  };
}

// ---------------------------------------------------------------------------------------------
// 函 between departments, and their replies (复函)

export interface Letter {
  from: string;
  to: string;
  subject: string;
  ask: string;
  answer: string;
}

export const letters: readonly Letter[] = [
  {
    from: 'czj',
    to: 'jyj',
    subject: '提供教育经费执行情况',
    ask: '为做好年度预算执行分析，请你局提供今年1至10月教育经费执行情况，包括各项目预算安排、支出进度及未支出原因。',
    answer: '今年1至10月，我局教育经费预算支出进度为82.6%，低于序时进度的项目主要为校舍建设类项目，已督促加快实施。详细情况见附表。',
  },
  {
    from: 'sjj',
    to: 'rsj',
    subject: '提供社会保险基金收支有关资料',
    ask: '根据年度审计项目计划，我局将对全市社会保险基金管理使用情况进行审计，请你局提供近两年社会保险基金收支明细及相关管理制度。',
    answer: '现将近两年社会保险基金收支明细及有关管理制度汇编随函提供，我局已明确专人负责配合审计工作。',
  },
  {
    from: 'tjj',
    to: 'fgw',
    subject: '提供重点项目投资数据',
    ask: '为做好固定资产投资统计工作，请你委提供今年以来市级重点项目的投资完成情况，以便核对统计口径。',
    answer: '今年以来，全市实施市级重点项目386个，完成投资612.4亿元，占年度计划的88.3%。项目清单及分月完成情况见附件。',
  },
  {
    from: 'sjzy',
    to: 'gaj',
    subject: '共享人口基础信息数据',
    ask: '为推进“一网通办”，提升政务服务“免证办”水平，请你局通过市数据共享交换平台共享人口基础信息数据。',
    answer: '我局同意通过市数据共享交换平台按需共享人口基础信息数据，请你局严格落实数据安全管理要求，确保数据仅用于政务服务。',
  },
  {
    from: 'scj',
    to: 'wjw',
    subject: '协助开展冬季食品安全联合检查',
    ask: '为保障元旦春节期间食品安全，我局拟于近期开展冬季食品安全联合检查，请你委选派2名食品安全标准专业人员参加。',
    answer: '我委已选派食品安全标准与监测评估科2名同志参加联合检查，名单随函附后。',
  },
  {
    from: 'zzb',
    to: 'rsj',
    subject: '提供事业单位公开招聘计划',
    ask: '为统筹做好明年人才引进工作，请你局提供明年全市事业单位公开招聘计划编制情况。',
    answer: '明年全市事业单位计划公开招聘工作人员1260名，其中教育类720名、卫生类380名、其他类160名。',
  },
];

export function letterText(l: Letter, w: Writing): DocText {
  return {
    title: `关于商请${l.subject}的函`,
    docType: '函',
    urgency: '平件',
    retention: 'D10',
    series: 'letter',
    body: body({ ...w, opening: l.ask, closing: '请予支持，并于一周内函复。' }),
  };
}

export function replyLetterText(l: Letter, w: Writing, letterNumber: string, asker: string): DocText {
  return {
    title: `关于${l.subject}的复函`,
    docType: '函',
    urgency: '平件',
    retention: 'D10',
    series: 'letter',
    body: body({ ...w, to: asker, opening: `你单位《关于商请${l.subject}的函》（${letterNumber}）收悉。现函复如下：`, points: [l.answer], closing: '特此函复。' }),
  };
}

/** The 函 that goes to the wrong unit first and comes back (退回). */
export function farmlandLetter(w: Writing): DocText {
  return {
    title: `关于商请提供${yearOf(w.day)}年高标准农田建设资金使用情况的函`,
    docType: '函',
    urgency: '平件',
    retention: 'D10',
    series: 'letter',
    body: body({
      ...w,
      opening: '为做好涉农资金统筹整合绩效评价工作，请你单位提供今年高标准农田建设资金的分配、拨付和使用情况。',
      closing: '请于本月25日前函复。',
    }),
  };
}

export const FARMLAND_RETURN_REASON = '高标准农田建设资金由市农业农村局归口管理，该事项不属我局职责范围，请改送市农业农村局办理。';

// ---------------------------------------------------------------------------------------------
// The recalled notice (撤回) and its corrected reissue

export function pensionNotice(w: Writing, corrected: boolean): DocText {
  return {
    title: `关于做好${yearOf(w.day)}年城乡居民基本养老保险待遇调整工作的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D30',
    body: body({
      ...w,
      opening: `根据省人力资源社会保障厅、省财政厅有关文件精神，经市政府同意，自${yearOf(w.day)}年1月1日起提高全市城乡居民基本养老保险基础养老金最低标准。现将有关事项通知如下：`,
      points: [
        `调整标准：基础养老金最低标准每人每月提高${corrected ? '20' : '25'}元。`,
        '资金保障：所需资金按现行财政体制分级负担。',
        '工作要求：各县区要于本月底前将调整后的待遇足额发放到位。',
      ],
      closing: corrected ? '原印发的同名通知作废，以本通知为准。特此通知。' : '特此通知。',
      attachment: '城乡居民基本养老保险待遇调整标准表',
    }),
  };
}

export const PENSION_RECALL_REASON = '附件《城乡居民基本养老保险待遇调整标准表》中调整标准有误，撤回更正后重新印发。';

// ---------------------------------------------------------------------------------------------
// City departments to their district counterparts, and district traffic

export function schoolSafetyNotice(w: Writing): DocText {
  return {
    title: `关于做好${yearOf(w.day)}年冬季学校安全工作的通知`,
    docType: '通知',
    urgency: '平件',
    retention: 'D10',
    body: body({
      ...w,
      opening: '冬季是学校安全事故易发多发期。为切实保障广大师生生命安全，现就做好冬季学校安全工作通知如下：',
      points: ['全面排查校舍、取暖设施和用电线路安全隐患。', '加强防溺水、防踩踏、防一氧化碳中毒安全教育。', '落实校车安全管理和学生上下学交通安全措施。'],
      closing: '特此通知。',
    }),
  };
}

export function districtNotices(district: string): readonly ((w: Writing) => DocText)[] {
  return [
    (w) => ({
      title: `关于做好${yearOf(w.day)}年秋冬季秸秆禁烧工作的通知`,
      docType: '通知',
      urgency: '平件',
      retention: 'D10',
      body: body({
        ...w,
        opening: `为切实改善空气质量，确保${district}秋冬季秸秆“零火点”，现就做好秸秆禁烧工作通知如下：`,
        points: ['落实网格化监管责任，乡镇（街道）包村、村包组、组包户。', '加强秸秆综合利用，推进秸秆还田和离田收储。', '强化巡查督查，发现火点立即处置并追责问责。'],
        closing: '特此通知。',
      }),
    }),
    (w) => ({
      title: '关于开展冬季安全生产大检查的通知',
      docType: '通知',
      urgency: '加急',
      retention: 'D10',
      body: body({
        ...w,
        opening: `按照市安委会统一部署，区政府决定在全区开展冬季安全生产大检查。现将有关事项通知如下：`,
        points: ['检查时间：即日起至下月15日。', '检查重点：燃气、消防、道路交通、建筑施工和危化品领域。', '工作要求：各乡镇（街道）、各部门要建立隐患清单，限期整改销号。'],
        closing: '请于检查结束后三个工作日内报送检查情况。特此通知。',
      }),
    }),
  ];
}

export function townReport(town: string, w: Writing): DocText {
  return {
    title: `关于${town}${yearOf(w.day)}年秋冬季秸秆禁烧工作情况的报告`,
    docType: '报告',
    urgency: '平件',
    retention: 'D10',
    body: body({
      ...w,
      opening: `按照区政府部署，${town}扎实开展秋冬季秸秆禁烧工作，现将有关情况报告如下：`,
      points: ['组织领导：成立禁烧工作领导小组，落实镇村干部包保责任。', '工作成效：全镇秸秆综合利用率达到95%以上，实现“零火点”。', '下步打算：继续加强巡查，巩固禁烧成果。'],
      closing: '特此报告。',
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Documents still on the issuer's desk today

export function draftsInProgress(w: Writing): DocText[] {
  return [
    {
      title: `关于报送${yearOf(w.day) + 1}年重点项目谋划储备情况的通知`,
      docType: '通知',
      urgency: '平件',
      retention: 'D30',
      body: body({ ...w, opening: '为做好明年重点项目谋划储备工作，现就报送有关事项通知如下：', points: ['报送范围：总投资5000万元以上的项目。', '报送时限：下月10日前。'], closing: '特此通知。' }),
    },
    {
      title: `关于开展${yearOf(w.day)}年度统计执法检查的通知`,
      docType: '通知',
      urgency: '平件',
      retention: 'D10',
      body: body({ ...w, opening: '为提高统计数据质量，根据年度统计执法检查计划，现就开展统计执法检查有关事项通知如下：', points: ['检查对象：随机抽取的规模以上企业和有关部门。', '检查内容：统计台账、原始记录和数据报送情况。'], closing: '特此通知。' }),
    },
    {
      title: '关于开展元旦春节期间食品安全专项检查的通知',
      docType: '通知',
      urgency: '平件',
      retention: 'D10',
      body: body({ ...w, opening: '为确保节日期间食品安全，市市场监管局决定开展食品安全专项检查。现将有关事项通知如下：', points: ['检查重点：商场超市、农贸市场、餐饮单位。', '检查时间：即日起至春节后。'], closing: '特此通知。' }),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// What recipients write while handling

export const READ_INSTRUCTIONS = [
  '请办公室按要求抓好落实。',
  '请分管同志阅处，按时限报送。',
  '已阅。请相关科室认真研究落实。',
  '请各科室传阅，并结合实际抓好贯彻。',
  '高度重视，专人负责，确保落实到位。',
];

export const HANDLING_DEPARTMENTS = ['办公室', '综合科', '计划财务科', '政策法规科', '安全监管科', '业务科'];

export const COMPLETION_RESULTS = [
  '已按通知要求部署落实，相关情况已报送。',
  '已组织传达学习，并结合本单位实际制定落实措施。',
  '已完成自查，自查报告已通过系统报送。',
  '已按要求落实，无需另行报送。',
];

/** What a unit writes when it finishes after the due date: after a 催办, after a 督办. */
export const LATE_EXCUSES = { urged: '因数据核对工作量较大，报送有所延迟，现已报送。', supervised: '经督办后已完成报送，今后将严格按时限办理。' } as const;
