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
 * Flags that work headless on a machine without a GPU or network. WebGPU is switched on
 * everywhere; on a machine with no GPU it runs on SwiftShader. WebNN is switched on too: a
 * browser built with a WebNN backend then offers it (--device webnn), and one without says so
 * when asked for a context. The sandbox is on unless it cannot start (sandboxArgs): the browser
 * decodes files from anywhere.
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--enable-unsafe-webgpu',
  '--enable-features=WebMachineLearningNeuralNetwork',
  '--disable-dev-shm-usage',
]);

/**
 * Chromium reads only the last --enable-features (or --disable-features) it is given: the lists
 * of all of them are joined into one, in order, so that features from $TENCH_CHROMIUM_ARGS add to
 * ours rather than drop them.
 */
export function mergeFeatureFlags(args: readonly string[]): string[] {
  const lists = new Map<string, string[]>();
  const out: string[] = [];
  for (const arg of args) {
    const match = /^(--(?:enable|disable)-features)=(.*)$/.exec(arg);
    if (!match) {
      out.push(arg);
      continue;
    }
    const [, flag, value] = match as unknown as [string, string, string];
    if (!lists.has(flag)) {
      lists.set(flag, []);
      out.push(flag);
    }
    lists.get(flag)!.push(...value.split(',').filter(Boolean));
  }
  return out.map((arg) => (lists.has(arg) ? `${arg}=${[...new Set(lists.get(arg))].join(',')}` : arg));
}

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
  /** Why the browser runs without its sandbox, or null when it runs in it. */
  unsandboxed: string | null;
  close(): Promise<void>;
}

export const AS_ROOT = 'tench runs as root, where Chromium cannot start its sandbox';
export const NO_NAMESPACES = 'Chromium could not start its sandbox here (no user namespaces, or no setuid sandbox helper)';

/** Chromium refuses to run as root with its sandbox: then, and only then, it is off from the start. */
export function sandboxArgs(uid: number | undefined): { args: string[]; unsandboxed: string | null } {
  return uid === 0 ? { args: ['--no-sandbox'], unsandboxed: AS_ROOT } : { args: [], unsandboxed: null };
}

/** A launch that failed because the sandbox could not start (and no other reason). */
export function sandboxFailure(message: string): boolean {
  return /sandbox|namespace|setuid/i.test(message);
}

/**
 * A fresh context, or a persistent profile when userDataDir is given (IndexedDB survives). With
 * `serviceWorkers: 'block'` (the CLI) the page is always the app just served: a service worker
 * kept in the profile would serve the previous version until someone clicked its update prompt.
 */
export async function launch(executablePath: string, options: { headed?: boolean; userDataDir?: string; serviceWorkers?: 'allow' | 'block'; uid?: number } = {}): Promise<Launched> {
  const sandbox = sandboxArgs('uid' in options ? options.uid : process.getuid?.());
  try {
    return await launchOnce(executablePath, options, sandbox);
  } catch (error) {
    if (sandbox.unsandboxed || !sandboxFailure((error as Error).message)) throw error;
    return launchOnce(executablePath, options, { args: ['--no-sandbox'], unsandboxed: NO_NAMESPACES });
  }
}

async function launchOnce(executablePath: string, options: { headed?: boolean; userDataDir?: string; serviceWorkers?: 'allow' | 'block' }, sandbox: ReturnType<typeof sandboxArgs>): Promise<Launched> {
  // tench handles SIGINT/SIGTERM itself (cancel, keep results, write them); Playwright's own
  // handlers would kill the browser under it. Playwright turns Chromium's sandbox off unless asked.
  const common = {
    executablePath,
    headless: !options.headed,
    chromiumSandbox: !sandbox.unsandboxed,
    args: mergeFeatureFlags([...CHROMIUM_ARGS, ...sandbox.args, ...extraArgs(process.env.TENCH_CHROMIUM_ARGS)]),
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  };
  const serviceWorkers = options.serviceWorkers ?? 'allow';
  const { unsandboxed } = sandbox;
  if (options.userDataDir) {
    const context = await chromium.launchPersistentContext(options.userDataDir, { ...common, serviceWorkers });
    return { browser: null, context, unsandboxed, close: () => context.close() };
  }
  const browser = await chromium.launch(common);
  const context = await browser.newContext({ serviceWorkers });
  return { browser, context, unsandboxed, close: () => browser.close() };
}
