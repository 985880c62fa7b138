// A page on the Vite dev server, so a browser test can import the app's modules directly.

import type { Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { findBrowser, launch, type Launched } from '../../src/cli/browser.ts';
import { appConfig } from '../../src/server/app-config.ts';
import { ROOT } from './paths.ts';

export interface DevPage {
  page: Page;
  origin: string;
  /** Imports an app module into the page as window[name]. (An import() written inside a test's
   * page.evaluate would be rewritten by Vitest's own transform.) */
  load(path: string, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openDevPage(): Promise<DevPage> {
  const config = appConfig();
  const server: ViteDevServer = await createServer({ ...config, configFile: false, root: ROOT, logLevel: 'silent', server: { ...config.server, port: 0, host: '127.0.0.1', hmr: false } });
  await server.listen();
  const origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
  const browser = findBrowser();
  if (!browser.ok) throw new Error(browser.reason);
  const launched: Launched = await launch(browser.path);
  const page = await launched.context.newPage();
  await page.goto(`${origin}/test/helpers/blank.html`);
  return {
    page,
    origin,
    async load(path, name) {
      await page.addScriptTag({ type: 'module', content: `import * as m from ${JSON.stringify(path)}; window[${JSON.stringify(name)}] = m;` });
      await page.waitForFunction((n) => n in window, name);
    },
    async close() {
      await launched.close();
      await server.close();
    },
  };
}
