import { mkdir, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { processIsAlive, StateLockedError } from '@qcs-export/core';

/** A lock not refreshed for this long belongs to a run that is gone (killed, its machine or pod lost). */
export const LOCK_STALE_AFTER_MS = 5 * 60_000;
const HEARTBEAT_MS = 30_000;

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface StateLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Told when a stale lock is taken over. */
  onTakeover?: (message: string) => void;
}

/**
 * Takes `<state>.lock`, created exclusively, holding the owner's pid, host and start time, and refreshed (its
 * modification time) every 30 s while the run lasts. A second run finds it and refuses to start. A lock whose
 * owner is gone is taken over with a message: on this host when its pid no longer runs, on any host when it has not
 * been refreshed for 5 minutes (a killed pod cannot be asked whether it still runs).
 */
export async function acquireStateLock(statePath: string, options: LockOptions = {}): Promise<StateLock> {
  const path = `${statePath}.lock`;
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  // The state's folder may not exist before the first run, like an output's.
  await mkdir(dirname(path), { recursive: true }).catch(() => undefined);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return heldLock(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StateLockedError(`cannot create the lock ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    const judged = await stat(path).catch(() => undefined);
    const found = await readOwner(path);
    const staleBecause = await whyStale(path, found);
    if (staleBecause === undefined) {
      const who = found ? `process ${found.pid} on ${found.host}, started ${found.startedAt}` : 'a run whose lock cannot be read';
      throw new StateLockedError(
        `another run is using the state ${statePath} (${who}); this run did not start. ` +
          `Wait for it to finish; if it is gone, ${path} is taken over ${LOCK_STALE_AFTER_MS / 60_000} minutes after its last refresh, or remove it.`,
      );
    }
    // Renamed away before the new lock is created: of two runs taking over at once, only one rename succeeds.
    const moved = `${path}.stale-${process.pid}`;
    try {
      await rename(path, moved);
      // Another run may have taken over between our look and the rename: then this is its fresh lock; give it back.
      if ((await stat(moved)).ino !== judged?.ino) {
        await rename(moved, path);
        throw new StateLockedError(`another run took over the stale lock ${path} first; this run did not start`);
      }
      await rm(moved, { force: true });
      options.onTakeover?.(
        `took over the lock ${path} of ${found ? `process ${found.pid} on ${found.host} (started ${found.startedAt})` : 'an unknown run'}: ${staleBecause}`,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new StateLockedError(`another run took the lock ${path} first; this run did not start`);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.startedAt === 'string') return owner as LockOwner;
  } catch {
    // An empty or torn lock: judged by its age alone.
  }
  return undefined;
}

async function whyStale(path: string, owner: LockOwner | undefined): Promise<string | undefined> {
  if (owner && owner.host === hostname() && !processIsAlive(owner.pid)) return `process ${owner.pid} no longer runs`;
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 'it was removed';
  const age = Date.now() - info.mtimeMs;
  if (age > LOCK_STALE_AFTER_MS) return `it was last refreshed ${Math.round(age / 60_000)} minutes ago`;
  return undefined;
}

function heldLock(path: string): StateLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    path,
    async release() {
      clearInterval(heartbeat);
      await rm(path, { force: true });
    },
  };
}
