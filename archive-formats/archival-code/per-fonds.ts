import { DAT22_2015, resolveArchivalCodeTemplate, type ArchivalCodeTemplate } from './index.ts';

/**
 * Which 档号 form each fonds uses (GONGWEN_ARCHIVAL_CODE_FORMS): a JSON object from 全宗号 (or
 * unit:<unitId> for a unit without one) to a built-in form or a pattern, `*` for every other
 * fonds, e.g. `{"*":"DA/T 22-2015","0002":"DA/T 13-2022"}`. The local archive decides the form,
 * so it is configuration; the form is read when a dossier closes and then frozen with it.
 */
export type ArchivalCodeForms = (fonds: string) => ArchivalCodeTemplate;

export function parseArchivalCodeForms(spec: string | undefined): ArchivalCodeForms {
  if (spec === undefined || spec.trim() === '') return () => DAT22_2015;
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec);
  } catch {
    throw new Error('须为 JSON 对象，如 {"*":"DA/T 22-2015","0002":"DA/T 13-2022"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('须为 JSON 对象：全宗号 → 档号格式');
  const forms = new Map<string, ArchivalCodeTemplate>();
  for (const [fonds, form] of Object.entries(parsed)) {
    if (typeof form !== 'string') throw new Error(`全宗 ${fonds} 的档号格式须为字符串`);
    forms.set(fonds, resolveArchivalCodeTemplate(form));
  }
  const fallback = forms.get('*') ?? DAT22_2015;
  return (fonds) => forms.get(fonds) ?? fallback;
}
