import { sealPictureSvg } from '../../src/seal/seal-picture.ts';
import type { RenderInput } from '../../src/render/index.ts';

/** A 公文 as a city office issues it, for the rendering tests and the bench. */
export function sampleInput(overrides: Partial<RenderInput> = {}): RenderInput {
  return {
    documentId: 'doc-sample',
    contentDigest: 'a'.repeat(64),
    issuerName: '阜阳市人民政府办公室',
    docNumber: '阜政办〔2025〕12号',
    docType: '通知',
    urgency: '加急',
    title: '阜阳市人民政府办公室关于做好2025年春节期间安全生产工作的通知',
    body: [
      '　　为切实做好2025年春节期间安全生产工作，确保全市人民群众度过一个欢乐祥和的节日，经市政府同意，现就有关事项通知如下。',
      '一、总体要求',
      '　　各地、各部门要坚持人民至上、生命至上，统筹发展和安全，压紧压实安全生产责任，全面排查整治各类风险隐患。',
      '（一）加强组织领导。各级领导干部要带头深入一线，督促检查安全防范措施落实情况（含“三查三改”）。',
      '1.落实值班制度。严格执行24小时值班和领导带班制度。',
      '（1）值班人员要保持通信畅通，遇有突发事件及时报告。',
      '二、工作要求',
      '　　请各地、各部门于2025年1月20日前将落实情况报市政府办公室。',
    ].join('\n'),
    attachments: ['春节期间安全生产检查表.docx', '值班安排表.xlsx'],
    mainRecipients: ['各县（市、区）人民政府', '阜阳经济技术开发区管委会', '市政府各部门'],
    ccRecipients: ['市委各部门', '市人大常委会办公室', '市政协办公室', '市法院', '市检察院'],
    remarks: '此件公开发布',
    signerName: '张明',
    documentDate: '2025-01-10T02:00:00.000Z',
    printedAt: '2025-01-10T06:30:00.000Z',
    seal: { svg: sealPictureSvg({ name: '阜阳市人民政府办公室', sealType: '单位公章' }), widthMm: 42, heightMm: 42 },
    ...overrides,
  };
}
