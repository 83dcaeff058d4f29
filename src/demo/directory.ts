import type { DemoCity, DemoUnit } from './city.ts';
import { DEMO_SEAL_PASSPHRASE } from './credentials.ts';
import { as, SYSTEM, type RunCommand } from './commands.ts';
import { inParallel } from '../app/in-parallel.ts';

/**
 * Installs the city the way an operator would: the ledger itself (SYSTEM) registers the first unit
 * (市政府办公室) and its super administrator; the super administrator then registers every other
 * unit, every account with its roles, and one active seal per unit kept by the unit's seal keeper.
 */
export async function registerDirectory(run: RunCommand, city: DemoCity, opts: { sealValidFrom: string; sealValidTo: string; parallel?: number }): Promise<void> {
  const parallel = opts.parallel ?? 8;
  const office = city.governmentOffice;
  await run(SYSTEM, 'RegisterUnit', unitInput(office));
  await run(SYSTEM, 'RegisterUser', { userId: city.admin.userId, unitId: office.unitId, name: city.admin.name, roles: city.admin.roles });
  const admin = as(city.admin);

  // Parents first: a unit can only be registered under an active parent.
  const registered = new Set([office.unitId]);
  let pending = city.units.filter((u) => u.unitId !== office.unitId);
  while (pending.length > 0) {
    const ready = pending.filter((u) => !u.parentUnitId || registered.has(u.parentUnitId));
    if (ready.length === 0) throw new Error(`demo city: units without a registered parent: ${pending.map((u) => u.unitId).join(', ')}`);
    await inParallel(ready, parallel, (u) => run(admin, 'RegisterUnit', unitInput(u)));
    for (const u of ready) registered.add(u.unitId);
    pending = pending.filter((u) => !registered.has(u.unitId));
  }

  const accounts = city.people.filter((p) => p.userId !== city.admin.userId);
  await inParallel(accounts, parallel, (p) => run(admin, 'RegisterUser', { userId: p.userId, unitId: p.unitId, name: p.name, roles: p.roles }));

  await inParallel(city.units, parallel, (u) =>
    run(admin, 'IssueSeal', {
      keyCustody: 'server',
      initialPassphrase: DEMO_SEAL_PASSPHRASE,
      sealId: u.sealId,
      unitId: u.unitId,
      name: u.name,
      sealType: '单位公章',
      validFrom: opts.sealValidFrom,
      validTo: opts.sealValidTo,
      keeperUserIds: [u.keeper.userId],
    }),
  );
}

function unitInput(u: DemoUnit) {
  return {
    unitId: u.unitId,
    name: u.name,
    shortName: u.shortName,
    kind: u.kind,
    ...(u.parentUnitId ? { parentUnitId: u.parentUnitId } : {}),
    fondsCode: u.fondsCode,
    docNumberPrefixes: u.prefixes,
  };
}
