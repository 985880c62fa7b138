// The app served on this machine and the browser started for it, side by side (each takes a few
// hundred ms); whatever stops one closes the other, so nothing started keeps the command alive.

import type { RouteOptions } from '../server/routes.ts';
import { launch, type Launched } from './browser.ts';
import { ensureBuilt } from './build.ts';
import { serve, type Served } from './server.ts';
import type { State } from './state.ts';

export type OpenedApp = { ok: true; browser: Launched; server: Served } | { ok: false; reason: string };

export async function openApp(root: string, browserPath: string, routes: RouteOptions, state: State, headed: boolean, err: (line: string) => void): Promise<OpenedApp> {
  const launching = launch(browserPath, { headed, userDataDir: state.profile, serviceWorkers: 'block' }).then(
    (launched) => ({ ok: true as const, launched }),
    (error: unknown) => ({ ok: false as const, message: (error as Error).message }),
  );
  const closeBrowser = async () => {
    const started = await launching;
    if (started.ok) await started.launched.close();
  };
  let server: Served | string;
  try {
    server = await serveApp(root, routes, state, err);
  } catch (error) {
    await closeBrowser();
    throw error;
  }
  if (typeof server === 'string') {
    await closeBrowser();
    return { ok: false, reason: server };
  }
  const started = await launching;
  if (!started.ok) {
    await server.close();
    return { ok: false, reason: /ProcessSingleton|SingletonLock|profile.*in use/i.test(started.message)
      ? `the browser profile in ${state.dir} is in use by another tench; give each process its own --state`
      : `cannot start the browser at ${browserPath}: ${started.message.split('\n')[0]}` };
  }
  await server.admit(started.launched.context);
  return { ok: true, browser: started.launched, server };
}

/**
 * The app built and served on the state folder's port (IndexedDB belongs to an origin, so the
 * runs kept are found there again); why not, in words, when the port cannot be had.
 */
async function serveApp(root: string, routes: RouteOptions, state: State, err: (line: string) => void): Promise<Served | string> {
  const dist = await ensureBuilt(root, err);
  let server: Served;
  try {
    server = await serve(dist, routes, state.port ?? 0);
  } catch (error) {
    return (error as { code?: string }).code === 'EADDRINUSE'
      ? `port ${state.port}, where the runs in ${state.dir} are served, is in use: another tench may be using that state folder (give each process its own --state)`
      : `cannot start the local server: ${(error as Error).message}`;
  }
  if (state.port === null) {
    await state.remember(Number(new URL(server.origin).port)).catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
  }
  return server;
}
