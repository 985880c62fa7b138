// Where the CLI keeps what outlives one process: the browser profile (its IndexedDB holds every
// run, so --resume and the reuse of earlier results work) and the port the app was served on
// (IndexedDB belongs to an origin, and the port is part of it).

import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

/** Why a folder takes no files, in words; null when it does. */
function unwritable(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return 'it is on a read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return null;
}

/**
 * Writes and removes a file in each folder. Chromium cannot lock a profile it cannot write, and
 * says only that the profile is in use, which would send the user looking for another tench.
 * Tried rather than asked (access(2)): root passes every permission check that writing does not.
 */
async function probeWrites(dirs: readonly string[]): Promise<unknown> {
  for (const dir of dirs) {
    const probe = join(dir, `.tench-write-test-${process.pid}`);
    try {
      await writeFile(probe, '');
      await rm(probe, { force: true });
    } catch (error) {
      return error;
    }
  }
  return null;
}

export async function openState(dir: string): Promise<{ ok: true; state: State } | { ok: false; reason: string }> {
  const notWritable = (why: string) => ({ ok: false as const, reason: `the state folder ${dir} is not writable (${why}); give --state (or $TENCH_STATE) a folder this user can write` });
  try {
    await mkdir(join(dir, 'chromium'), { recursive: true });
  } catch (error) {
    // Node's recursive mkdir says ENOENT, not EROFS, for a folder it cannot make on a read-only
    // mount: whether the folder that is there takes files tells.
    const why = unwritable(error) ?? ((await stat(dir).catch(() => null))?.isDirectory() ? unwritable(await probeWrites([dir])) : null);
    return why ? notWritable(why) : { ok: false, reason: `cannot use ${dir} as the state folder: ${(error as Error).message}` };
  }
  const failed = await probeWrites([dir, join(dir, 'chromium')]);
  if (failed) return notWritable(unwritable(failed) ?? (failed as Error).message);
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
