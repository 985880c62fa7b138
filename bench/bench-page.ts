// The benchmark page: each scenario runs in a worker and reports to window.benchResult.

declare global {
  interface Window {
    runBench(name: 'preprocess', options: Record<string, unknown>): Promise<unknown>;
  }
}

window.runBench = (name, options) =>
  new Promise((resolve, reject) => {
    const worker =
      name === 'preprocess'
        ? new Worker(new URL('./preprocess.worker.ts', import.meta.url), { type: 'module' })
        : null;
    if (!worker) return reject(new Error(`no bench named ${name}`));
    worker.onmessage = (e: MessageEvent<{ ok: boolean; result?: unknown; reason?: string }>) => {
      worker.terminate();
      if (e.data.ok) resolve(e.data.result);
      else reject(new Error(e.data.reason));
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(options);
  });

document.body.dataset.ready = 'true';
export {};
