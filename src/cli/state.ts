// Where the CLI keeps what outlives one process: the browser profile (its IndexedDB holds every
// run, so --resume and the reuse of earlier results work) and the port the app was served on
// (IndexedDB belongs to an origin, and the port is part of it).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface State {
  dir: string;
  profile: string;
  /** The port recorded by the first run here; null until then. */
  port: number | null;
  remember(port: number): Promise<void>;
}

/** --state, else $TENCH_STATE, else the XDG state folder. */
export function stateDir(explicit: string | undefined, env: Record<string, string | undefined> = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.TENCH_STATE) return resolve(env.TENCH_STATE);
  return join(env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(homedir(), '.local', 'state'), 'tench');
}

export async function openState(dir: string): Promise<{ ok: true; state: State } | { ok: false; reason: string }> {
  try {
    await mkdir(join(dir, 'chromium'), { recursive: true });
  } catch (error) {
    return { ok: false, reason: `cannot use ${dir} as the state folder: ${(error as Error).message}` };
  }
  const portFile = join(dir, 'port');
  const recorded = Number((await readFile(portFile, 'utf8').catch(() => '')).trim());
  return {
    ok: true,
    state: {
      dir,
      profile: join(dir, 'chromium'),
      port: Number.isInteger(recorded) && recorded > 0 && recorded < 65536 ? recorded : null,
      remember: (port) => writeFile(portFile, `${port}\n`),
    },
  };
}
