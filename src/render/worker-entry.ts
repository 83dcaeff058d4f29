import { parentPort } from 'node:worker_threads';
import { renderDocument, renderDocumentOfd, type RenderInput, type RenderOptions } from './index.ts';

/** The render worker's side (see render-worker.ts): renders one request at a time, in order. */
parentPort!.on('message', async (message: { id: number; input: RenderInput; options: RenderOptions; format?: 'pdf' | 'ofd' }) => {
  try {
    if (message.format === 'ofd') {
      const r = await renderDocumentOfd(message.input, message.options);
      const bytes = new Uint8Array(r.ofd);
      parentPort!.postMessage({ id: message.id, ok: true, rendering: { ...r, ofd: bytes } }, [bytes.buffer]);
      return;
    }
    const r = await renderDocument(message.input, message.options);
    const bytes = new Uint8Array(r.pdf);
    parentPort!.postMessage({ id: message.id, ok: true, rendering: { ...r, pdf: bytes } }, [bytes.buffer]);
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ id: message.id, ok: false, error: { name: e.name, message: e.message } });
  }
});
