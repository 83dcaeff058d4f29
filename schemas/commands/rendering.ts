import { z } from 'zod';
import { defineCommand, type CommandOf } from '../define.ts';
import { DocumentRendered } from '../events/rendering.ts';

/**
 * Issued by the ledger itself (the rendering recorder reacting to DocumentSealed), never by a
 * client: the rendering as it came out of the renderer. The decider adds the time.
 */
export const RecordRendering = defineCommand('RecordRendering', DocumentRendered.data.omit({ renderedAt: true }));

export const renderingCommands = [RecordRendering] as const;
export type RenderingCommand = CommandOf<(typeof renderingCommands)[number]>;
