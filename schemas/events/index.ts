import { createEventRegistry } from '../registry.ts';
import { deliveryEvents } from './delivery.ts';
import { directoryEvents } from './directory.ts';
import { documentEvents } from './document.ts';
import { dossierEvents } from './dossier.ts';
import { numberingEvents } from './numbering.ts';
import { renderingEvents } from './rendering.ts';
import { sealEvents } from './seal.ts';
import { supervisionEvents } from './supervision.ts';

export const allEventDefinitions = [...documentEvents, ...deliveryEvents, ...sealEvents, ...numberingEvents, ...directoryEvents, ...renderingEvents, ...supervisionEvents, ...dossierEvents];

export const eventRegistry = createEventRegistry(allEventDefinitions);
