// The CLI's local server: the built app, plus the dataset folder and the model folder it was
// given, on a free loopback port.

import { preview, type PreviewServer } from 'vite';
import { appConfig } from '../server/app-config.ts';
import type { RouteOptions } from '../server/routes.ts';

export interface Served {
  origin: string;
  close(): Promise<void>;
}

export async function serve(root: string, outDir: string, routes: RouteOptions, port = 0): Promise<Served> {
  const config = appConfig(routes);
  const server: PreviewServer = await preview({
    ...config,
    configFile: false,
    root,
    logLevel: 'silent',
    build: { ...config.build, outDir },
    preview: { ...config.preview, host: '127.0.0.1', port, strictPort: port !== 0, open: false },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('the local server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => server.close(),
  };
}
