import { formatIssues } from '../../schemas/registry.ts';
import { Refusal } from '../domain/refusal.ts';
import { authorize, type Principal } from './authorization.ts';
import type { CommandDeps } from './commands/deps.ts';
import { deliveryRoutes } from './commands/delivery-commands.ts';
import { directoryRoutes } from './commands/directory-commands.ts';
import { documentRoutes } from './commands/document-commands.ts';
import { outcomeOf, type CommandOutcome, type CommandRoute } from './commands/route.ts';
import { commandHash } from './command-hash.ts';
import { sameCommand } from './handle-command.ts';
import { dossierRoutes } from './commands/dossier-commands.ts';
import { sealRoutes } from './commands/seal-commands.ts';
import { sealingRoutes } from './commands/sealing-commands.ts';
import { supervisionRoutes } from './commands/supervision-commands.ts';
import type { SecurityLog } from './security-log.ts';

export const commandRoutes: Readonly<Record<string, CommandRoute>> = {
  ...documentRoutes,
  ...sealingRoutes,
  ...deliveryRoutes,
  ...sealRoutes,
  ...directoryRoutes,
  ...supervisionRoutes,
  ...dossierRoutes,
};

/**
 * The one entry for every command, from the API, the CLI or a process manager: validate the input
 * (zod), authorise the role, look the commandId up, run the handler; every refusal goes to the
 * security log and back to the caller as a typed Refusal. Nothing is appended for a refused command.
 *
 * The look-up comes after authorisation and before anything is decided, for every route: a known
 * commandId with this command's fingerprint (which names the sender) gets its first outcome, all
 * its steps included; with another fingerprint, or from another user, it is COMMAND_ID_REUSED.
 */
export class CommandService {
  constructor(
    private readonly deps: CommandDeps,
    private readonly securityLog: SecurityLog,
  ) {}

  async execute(principal: Principal, type: string, input: unknown): Promise<CommandOutcome> {
    const commandId = typeof (input as { commandId?: unknown })?.commandId === 'string' ? (input as { commandId: string }).commandId : undefined;
    try {
      const route = commandRoutes[type];
      if (!route) throw new Refusal('VALIDATION_FAILED', `未知的操作「${type}」(unknown command)`);
      const parsed = route.definition.input.safeParse(input);
      if (!parsed.success) {
        throw new Refusal('VALIDATION_FAILED', `输入有误：${formatIssues(parsed.error)}`, { issues: parsed.error.issues });
      }
      const data = parsed.data as { commandId: string };
      const actor = authorize(principal, type, route.subjectUserId?.(data));
      const invocation = {
        data,
        commandId: data.commandId,
        actor,
        now: this.deps.now().toISOString(),
        commandHash: commandHash(type, route.fingerprint ? route.fingerprint(data) : data, actor),
      };
      const first = await this.deps.store.findCommand(data.commandId);
      if (!first) return await route.run(this.deps, invocation);
      sameCommand(first, invocation.commandHash, data.commandId);
      await route.afterRepeat?.(this.deps, invocation);
      return outcomeOf(...(await this.deps.store.findCommandSteps(data.commandId)), first);
    } catch (error) {
      if (error instanceof Refusal) await this.securityLog.record(principal, type, commandId, error).catch(() => {});
      throw error;
    }
  }
}
