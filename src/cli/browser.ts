// Finding and launching a Chromium for headless runs, through playwright-core.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Tried in order after --browser and $TENCH_BROWSER. */
const CANDIDATES = [
  'chromium',
  'chromium-browser',
  'google-chrome-stable',
  'google-chrome',
  'chrome',
  'microsoft-edge',
];

const FIXED_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export interface Lookup {
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  /** Where Playwright keeps a browser it downloaded, if it did. */
  playwrightBrowser(): string | null;
}

const here: Lookup = {
  env: process.env,
  exists: existsSync,
  playwrightBrowser() {
    if (!existsSync(join(homedir(), '.cache', 'ms-playwright'))) return null;
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : null;
  },
};

/** The browser to drive: --browser, then $TENCH_BROWSER, then a Chrome or Chromium installed here. */
export function findBrowser(explicit?: string, lookup: Lookup = here): { ok: true; path: string } | { ok: false; reason: string } {
  const asked = explicit ?? lookup.env.TENCH_BROWSER;
  if (asked) {
    return lookup.exists(asked) ? { ok: true, path: asked } : { ok: false, reason: `no browser at ${asked}` };
  }
  for (const name of CANDIDATES) {
    for (const dir of (lookup.env.PATH ?? '').split(delimiter)) {
      const full = join(dir, name);
      if (dir && lookup.exists(full)) return { ok: true, path: full };
    }
  }
  for (const path of FIXED_PATHS) if (lookup.exists(path)) return { ok: true, path };
  const downloaded = lookup.playwrightBrowser();
  if (downloaded) return { ok: true, path: downloaded };
  return {
    ok: false,
    reason: 'no Chrome or Chromium found; install one (Debian: apt-get install chromium) or pass --browser PATH',
  };
}

/**
 * Flags that work headless, as root, on a machine without a GPU or network. WebGPU is switched
 * on everywhere; on a machine with no GPU it runs on SwiftShader.
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--enable-unsafe-webgpu',
  '--disable-dev-shm-usage',
]);

/**
 * More flags from $TENCH_CHROMIUM_ARGS, space-separated, after CHROMIUM_ARGS: a container with a
 * GPU passes Vulkan's (see deploy/kubernetes/) without a new build of tench.
 */
export function extraArgs(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}

export interface Launched {
  browser: Browser | null;
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A fresh context, or a persistent profile when userDataDir is given (IndexedDB survives). With
 * `serviceWorkers: 'block'` (the CLI) the page is always the app just served: a service worker
 * kept in the profile would serve the previous version until someone clicked its update prompt.
 */
export async function launch(executablePath: string, options: { headed?: boolean; userDataDir?: string; serviceWorkers?: 'allow' | 'block' } = {}): Promise<Launched> {
  // tench handles SIGINT/SIGTERM itself (cancel, keep results, write them); Playwright's own
  // handlers would kill the browser under it.
  const common = { executablePath, headless: !options.headed, args: [...CHROMIUM_ARGS, ...extraArgs(process.env.TENCH_CHROMIUM_ARGS)], handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false };
  const serviceWorkers = options.serviceWorkers ?? 'allow';
  if (options.userDataDir) {
    const context = await chromium.launchPersistentContext(options.userDataDir, { ...common, serviceWorkers });
    return { browser: null, context, close: () => context.close() };
  }
  const browser = await chromium.launch(common);
  const context = await browser.newContext({ serviceWorkers });
  return { browser, context, close: () => browser.close() };
}
