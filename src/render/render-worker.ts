import { Worker } from 'node:worker_threads';
import { FontError } from './font-map.ts';
import type { OfdRendering, Rendering, RenderInput, RenderOptions } from './index.ts';

/**
 * Renders in a worker thread: a rendering is a few hundred milliseconds of CPU (and a few seconds
 * the first time, reading the fonts), which on the server's own thread would stall every request,
 * process manager and projection meanwhile. One long-lived worker keeps the parsed fonts; requests
 * queue in it in order. The worker keeps the process alive only while a rendering is pending.
 */
export class RenderWorker {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve(r: Rendering | OfdRendering): void; reject(e: Error): void }>();

  render(input: RenderInput, options: RenderOptions = {}): Promise<Rendering> {
    return this.request(input, options, 'pdf') as Promise<Rendering>;
  }

  /** The same layout drawn as OFD (GB/T 33190). */
  renderOfd(input: RenderInput, options: RenderOptions = {}): Promise<OfdRendering> {
    return this.request(input, options, 'ofd') as Promise<OfdRendering>;
  }

  private request(input: RenderInput, options: RenderOptions, format: 'pdf' | 'ofd'): Promise<Rendering | OfdRendering> {
    const worker = this.start();
    const id = this.next++;
    return new Promise<Rendering | OfdRendering>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, input, options, format });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Workers do not inherit a loader registered at run time (bin/gongwen.js): register tsx first.
    const entry = new URL('./worker-entry.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
    const worker = new Worker(bootstrap, { eval: true });
    worker.on('message', (m: { id: number; ok: true; rendering: (Rendering & { pdf: Uint8Array }) | (OfdRendering & { ofd: Uint8Array }) } | { id: number; ok: false; error: { name: string; message: string } }) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (!waiting) return;
      const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      if (m.ok) waiting.resolve(m.rendering.format === 'OFD' ? { ...m.rendering, ofd: asBuffer(m.rendering.ofd) } : { ...m.rendering, pdf: asBuffer(m.rendering.pdf) });
      else waiting.reject(m.error.name === 'FontError' ? new FontError(m.error.message) : new Error(m.error.message));
    });
    const fail = (error: Error) => {
      for (const w of this.pending.values()) w.reject(error);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`render worker exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
