import type { Random } from './random.ts';

/** The wording of a city's year of documents: titles, bodies, opinions, reasons. */

const topics = [
  '做好春季森林防火工作',
  '开展安全生产大检查',
  '做好防汛抗旱准备工作',
  '加强校园食品安全管理',
  '推进电子公文交换系统应用',
  '开展2025年度财政预算执行情况审计',
  '做好秋冬季传染病防控工作',
  '规范政府采购管理',
  '推进义务教育优质均衡发展',
  '做好春运期间道路交通安全工作',
  '开展城乡环境综合整治',
  '加强基层医疗卫生服务能力建设',
  '做好高校毕业生就业工作',
  '开展营商环境评价',
  '调整部分行政事业性收费标准',
  '做好重要节日期间值班值守',
  '报送2025年上半年工作总结',
  '召开全市教育工作会议',
  '拨付农村公路养护补助资金',
  '开展医疗机构依法执业专项检查',
  '加强政务信息报送工作',
  '做好冬季供暖保障',
  '组织开展消防安全培训',
  '开展国有资产清查',
];

const titleForm: Record<GeneratedDocType, (topic: string) => string> = {
  通知: (t) => `关于${t}的通知`,
  函: (t) => `关于商请${t}的函`,
  报告: (t) => `关于${t}情况的报告`,
  请示: (t) => `关于${t}有关事项的请示`,
  意见: (t) => `关于${t}的实施意见`,
  通报: (t) => `关于${t}情况的通报`,
  批复: (t) => `关于同意${t}的批复`,
  纪要: (t) => `${t}专题会议纪要`,
  决定: (t) => `关于${t}的决定`,
};

export const docTypeWeights = { 通知: 34, 函: 18, 报告: 10, 请示: 10, 意见: 7, 通报: 7, 批复: 5, 纪要: 5, 决定: 4 } as const;
export type GeneratedDocType = keyof typeof docTypeWeights;

export const title = (rng: Random, docType: GeneratedDocType): string => titleForm[docType](rng.pick(topics));

const sentences = [
  '为认真贯彻落实上级有关部署要求，切实做好相关工作，现将有关事项通知如下。',
  '各单位要高度重视，明确责任分工，细化工作措施，确保各项任务落到实处。',
  '请于规定时间内将工作开展情况书面报送，逾期未报的将予以通报。',
  '要加强统筹协调，及时研究解决工作中遇到的困难和问题，重大事项及时报告。',
  '各县区、各部门要结合实际，制定具体实施方案，并报市政府办公室备案。',
  '工作中要坚持问题导向，注重实效，杜绝形式主义、官僚主义。',
  '联系人：办公室张同志，联系电话：0558-2211XXXX。',
  '此项工作纳入年度目标管理考核，考核结果作为评先评优的重要依据。',
  '经研究，原则同意所报方案，请按照有关规定抓好组织实施。',
  '现将有关情况报告如下，妥否，请批示。',
];

export function body(rng: Random): string {
  const paragraphs = rng.int(2, 6);
  const out: string[] = ['各县区人民政府，市政府各部门、各直属机构：'];
  for (let p = 0; p < paragraphs; p++) {
    const n = rng.int(2, 5);
    out.push(`　　${Array.from({ length: n }, () => rng.pick(sentences)).join('')}`);
  }
  return out.join('\n');
}

export const revisedBodyNote = (rng: Random): string =>
  `\n　　${rng.pick(['根据领导审核意见，补充完善了工作要求。', '删去了与上级文件重复的表述。', '调整了报送时间要求。'])}`;

export const attachmentNames = ['工作方案.pdf', '责任分工表.ofd', '统计报表.xlsx', '联系人名单.docx', '检查情况汇总表.pdf', '资金分配明细.ofd'];
export const mediaTypeOf = (name: string): string =>
  name.endsWith('.pdf')
    ? 'application/pdf'
    : name.endsWith('.ofd')
      ? 'application/ofd'
      : name.endsWith('.xlsx')
        ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
        : 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export const signOffOpinions = ['同意印发。', '同意，请按程序办理。', '可以，注意时限。', '同意。请办公室抓紧分发。'];
export const returnReasons = ['非本单位业务范围，请核实主送单位后重新发送。', '误送本单位，请予撤回重发。', '附件缺失，无法办理，请补充后重新发送。'];
export const recallReasons = ['文中数据有误，撤回修改后重新制发。', '主送单位有误，撤回更正。', '附件版本错误，予以撤回。'];
export const reviewOpinions = ['符合收文要求，拟请分管领导阅示。', '属本单位职责，建议交相关科室办理。', '内容完整，建议登记后传阅。'];
export const rejectOpinions = ['不属于本单位职责范围，建议存档备查。', '仅供参阅，无需办理。'];
export const instructions = ['请相关科室认真研究落实。', '请按要求抓紧办理，按时报送。', '阅。请分管同志牵头办理。', '高度重视，专题研究，确保落实到位。'];
export const proposedHandling = ['拟请分管领导阅示后交业务科室办理。', '拟交办公室牵头会同有关科室办理。'];
export const departments = ['办公室', '政策法规科', '计划财务科', '业务一科', '业务二科', '综合科'];
export const urgeMessages = { 催办: ['请抓紧办理，按期报送办理结果。', '办理期限将至，请加快进度。'], 督办: ['已超过办理期限，请说明原因并立即办结。', '本件列入督办事项，请于两日内反馈。'] } as const;
export const completionResults = ['已按要求办理完毕，情况已书面报送。', '已组织落实，相关工作已部署到位。', '已会同有关单位研究办理，办理结果已反馈发文单位。'];
export const replyTexts = ['来文收悉，经研究，原则同意。', '已按要求完成相关工作，特此函复。', '来文收悉，现将办理情况答复如下：已落实。'];
