import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAT13_2022, DAT22_2015 } from '../../../archive-formats/archival-code/index.ts';
import { dossierEvents, type DossierEvent } from '../../../schemas/events/dossier.ts';
import { createEventRegistry } from '../../../schemas/registry.ts';
import { fold } from '../../../src/domain/decider.ts';
import { dossierDecider, type DossierContext, type FiledItem } from '../../../src/domain/dossier/index.ts';
import { Refusal } from '../../../src/domain/refusal.ts';

const registry = createEventRegistry([...dossierEvents]);
const archivist = { userId: 'archivist', unitId: 'office', role: 'ARCHIVIST' as const };

const filed = (n: number, over: Partial<FiledItem> = {}): FiledItem => ({
  documentId: `doc-${n}`,
  unitId: 'office',
  side: 'sent',
  fondsCode: '0001',
  retention: 'D30',
  organisationCode: null,
  title: `通知${n}`,
  docNumber: `阜政办〔2025〕${n}号`,
  responsible: '阜阳市人民政府办公室',
  date: '20250301',
  classification: '非密',
  pages: null,
  remarks: '',
  filedAt: `2025-03-01T0${n}:00:00.000Z`,
  ...over,
});

const ctx = (items: FiledItem[], over: Partial<DossierContext> = {}): DossierContext => ({
  actor: archivist,
  now: '2026-01-05T02:00:00.000Z',
  actorFonds: '0001',
  filed: items,
  template: DAT22_2015,
  fondsName: '阜阳市人民政府办公室',
  ...over,
});

/** Decides on the events so far and checks every new event against its schema. */
function run(history: DossierEvent[], command: { type: string; data: Record<string, unknown> }, context: DossierContext): DossierEvent[] {
  const state = fold(dossierDecider, history);
  const events = dossierDecider.decide({ type: command.type, data: { commandId: 'c-00000001', fonds: '0001', year: 2025, ...command.data } } as never, state, context);
  for (const e of events) registry.parse(e.type, 1, e.data);
  return events;
}

const refusal = (f: () => unknown): Refusal => {
  try {
    f();
  } catch (e) {
    if (e instanceof Refusal) return e;
    throw e;
  }
  assert.fail('expected a refusal');
};

const itemsOf = (e: DossierEvent[]) => (e[0] as Extract<DossierEvent, { type: 'DossierClosed' }>).data.items;

describe('dossier: arrangement and closing', () => {
  const year = [filed(1), filed(2), filed(3), filed(4, { retention: 'Y' })];

  test('closing numbers each retention from 1 in filing order, 永久 first, and records the template', () => {
    const closed = run([], { type: 'CloseDossier', data: {} }, ctx(year));
    assert.deepEqual(
      itemsOf(closed).map((i) => [i.documentId, i.itemNo, i.archivalCode]),
      [
        ['doc-4', 1, '0001-WS·2025-Y-0001'],
        ['doc-1', 1, '0001-WS·2025-D30-0001'],
        ['doc-2', 2, '0001-WS·2025-D30-0002'],
        ['doc-3', 3, '0001-WS·2025-D30-0003'],
      ],
    );
    assert.equal((closed[0]!.data as { batch: number }).batch, 1);
  });

  test('re-arrangement before closing: moved, re-titled, paged, re-classified — every change an event', () => {
    const history = [
      ...run([], { type: 'ArrangeDossierItem', data: { documentId: 'doc-3', unitId: 'office', position: 1, archivistTitle: '关于电子公文交换的通知', pages: 4 } }, ctx(year)),
    ];
    history.push(...run(history, { type: 'ArrangeDossierItem', data: { documentId: 'doc-1', unitId: 'office', retention: 'D10', remarks: '复印件' } }, ctx(year)));
    const items = itemsOf(run(history, { type: 'CloseDossier', data: {} }, ctx(year)));
    const d30 = items.filter((i) => i.retention === 'D30');
    assert.deepEqual(d30.map((i) => [i.documentId, i.itemNo]), [['doc-3', 1], ['doc-2', 2]]);
    const moved = d30[0]!;
    assert.deepEqual([moved.title, moved.archivistTitle, moved.pages], ['关于电子公文交换的通知', true, 4]);
    const d10 = items.find((i) => i.retention === 'D10')!;
    assert.deepEqual([d10.documentId, d10.archivalCode, d10.remarks], ['doc-1', '0001-WS·2025-D10-0001', '复印件']);
  });

  test('after closing the items are frozen: arranging one is refused; a late filing goes into batch 2 with the next numbers', () => {
    const history = run([], { type: 'CloseDossier', data: {} }, ctx(year));
    const frozen = refusal(() => run(history, { type: 'ArrangeDossierItem', data: { documentId: 'doc-2', unitId: 'office', pages: 2 } }, ctx(year)));
    assert.equal(frozen.code, 'INVALID_STATE');
    assert.match(frozen.message, /0001-WS·2025-D30-0002/);
    assert.equal(refusal(() => run(history, { type: 'CloseDossier', data: {} }, ctx(year))).code, 'INVALID_STATE');
    // A late filing, and a configuration that now asks for another form: batch 2 keeps batch 1's form.
    const late = [...year, filed(5, { filedAt: '2026-02-01T00:00:00.000Z' })];
    const second = run(history, { type: 'CloseDossier', data: {} }, ctx(late, { template: DAT13_2022 }));
    const d = second[0]!.data as { batch: number; items: { archivalCode: string; itemNo: number }[] };
    assert.equal(d.batch, 2);
    assert.deepEqual(d.items.map((i) => [i.itemNo, i.archivalCode]), [[4, '0001-WS·2025-D30-0004']]);
  });

  test('the 档号 form comes from the fonds configuration at the first close', () => {
    const items = itemsOf(run([], { type: 'CloseDossier', data: {} }, ctx([filed(1, { organisationCode: '办公室' })], { template: DAT13_2022 })));
    assert.equal(items[0]!.archivalCode, '0001-WS·2025·D30·办公室-0001');
  });

  test('only an archivist of the fonds acts on its dossier; nothing filed, nothing to close; export needs a closed year', () => {
    assert.equal(refusal(() => run([], { type: 'CloseDossier', data: {} }, ctx(year, { actorFonds: 'unit:edu' }))).code, 'NOT_AUTHORISED');
    assert.equal(refusal(() => run([], { type: 'CloseDossier', data: {} }, ctx([]))).code, 'INVALID_STATE');
    const open = refusal(() => run([], { type: 'RequestDossierExport', data: { exportId: 'x1', profile: 'default' } }, ctx(year)));
    assert.equal(open.code, 'INVALID_STATE');
    assert.match(open.message, /gongwen close-dossier --year 2025 --fonds 0001/);
    assert.equal(refusal(() => run([], { type: 'ArrangeDossierItem', data: { documentId: 'doc-9', unitId: 'office', pages: 1 } }, ctx(year))).code, 'NOT_FOUND');
  });

  test('an export is requested once per id and recorded once', () => {
    const history = run([], { type: 'CloseDossier', data: {} }, ctx(year));
    const profiles = { profileExists: (n: string) => n === 'default' };
    assert.equal(refusal(() => run(history, { type: 'RequestDossierExport', data: { exportId: 'x1', profile: 'nope' } }, ctx(year, profiles))).code, 'NOT_FOUND');
    history.push(...run(history, { type: 'RequestDossierExport', data: { exportId: 'x1', profile: 'default' } }, ctx(year, profiles)));
    assert.equal(refusal(() => run(history, { type: 'RequestDossierExport', data: { exportId: 'x1', profile: 'default' } }, ctx(year, profiles))).code, 'ALREADY_EXISTS');
    const system = { actor: { userId: 'system', unitId: 'system', role: 'SYSTEM' as const }, actorFonds: null };
    history.push(...run(history, { type: 'RecordDossierExport', data: { exportId: 'x1', outcome: { ok: false, reason: '磁盘已满' } } }, ctx(year, system)));
    assert.equal(history.at(-1)!.type, 'DossierExportFailed');
    assert.equal(refusal(() => run(history, { type: 'RecordDossierExport', data: { exportId: 'x1', outcome: { ok: false, reason: '再次' } } }, ctx(year, system))).code, 'INVALID_STATE');
  });

  test('页数 of a rendered item is its rendering\'s: a different one (or clearing it) is refused, the same one is accepted, and an earlier count gives way at closing', () => {
    const rendered = [filed(1, { pages: 3, renderedPages: 3 }), filed(2, { pages: 5 })];
    for (const pages of [4, null]) {
      const r = refusal(() => run([], { type: 'ArrangeDossierItem', data: { documentId: 'doc-1', unitId: 'office', pages } }, ctx(rendered)));
      assert.equal(r.code, 'VALIDATION_FAILED');
      assert.match(r.message, /版式文件.*3 页/);
      assert.deepEqual([r.details?.field, r.details?.renderedPages], ['pages', 3]);
    }
    const same = run([], { type: 'ArrangeDossierItem', data: { documentId: 'doc-1', unitId: 'office', pages: 3 } }, ctx(rendered));
    assert.equal(same.length, 1);
    // No rendering recorded: the archivist's count stands (and may be cleared).
    const own = run([], { type: 'ArrangeDossierItem', data: { documentId: 'doc-2', unitId: 'office', pages: 7 } }, ctx(rendered));
    assert.equal(itemsOf(run(own, { type: 'CloseDossier', data: {} }, ctx(rendered))).find((i) => i.documentId === 'doc-2')!.pages, 7);
    // Counted by hand before the rendering was recorded: at closing the rendering's pages win.
    const early = run([], { type: 'ArrangeDossierItem', data: { documentId: 'doc-1', unitId: 'office', pages: 9 } }, ctx([filed(1, { pages: null })]));
    const closed = itemsOf(run(early, { type: 'CloseDossier', data: {} }, ctx([filed(1, { pages: 2, renderedPages: 2 })])));
    assert.equal(closed[0]!.pages, 2);
  });
});
