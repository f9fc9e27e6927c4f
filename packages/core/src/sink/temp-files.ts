import { randomBytes } from 'node:crypto';
import { lstatSync, renameSync, rmSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sameBytes, sameFile } from './file-compare.js';

/**
 * Hidden files beside an output name their process: `.<name>.<pid>-<random>.partial` (the new output being written)
 * and `.<name>.<pid>-<random>.backup` (the previous output, kept from publish until the run settles or rolls back),
 * so a later run can tell a file left by a crash (kill -9, out of memory) from one a running export still needs.
 */
export function tempPathFor(finalPath: string): string {
  return hiddenPathFor(finalPath, 'partial');
}

export function backupPathFor(finalPath: string): string {
  return hiddenPathFor(finalPath, 'backup');
}

function hiddenPathFor(finalPath: string, kind: 'partial' | 'backup'): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}-${randomBytes(6).toString('hex')}.${kind}`);
}

/**
 * What this process has on disk that a run still has to resolve: a temporary file, a backup (and whether the new
 * output has already replaced the file it holds), or an output it created and has not settled.
 */
type LiveFile =
  | { kind: 'partial' }
  | { kind: 'backup'; finalPath: string; replaced: boolean }
  | { kind: 'created'; finalPath: string; dev: number; ino: number };

const LIVE_FILES = new Map<string, LiveFile>();

export const liveFiles = {
  set(path: string, file: LiveFile): void {
    LIVE_FILES.set(path, file);
  },
  delete(path: string): void {
    LIVE_FILES.delete(path);
  },
  has(path: string): boolean {
    return LIVE_FILES.has(path);
  },
};

/**
 * For an exit that cannot wait for the sinks (a second Ctrl-C): the run has not succeeded, so nothing it published
 * may stay. Temporary files are removed; a previous output the run already replaced is put back from its backup
 * (a backup taken before the replacing rename is only a second name for the file still in place, and is removed);
 * an output the run created where there was none is removed.
 */
export function removeLiveTempFilesSync(): void {
  for (const [path, file] of LIVE_FILES) {
    try {
      if (file.kind === 'backup' && file.replaced) renameSync(path, file.finalPath);
      else if (file.kind === 'created') {
        const now = lstatSync(file.finalPath, { throwIfNoEntry: false });
        if (now?.ino === file.ino && now.dev === file.dev) rmSync(file.finalPath, { force: true });
      } else rmSync(path, { force: true });
    } catch {
      // best effort: the process is exiting, and the next run's sweep reports what is left
    }
  }
  LIVE_FILES.clear();
}

export interface StaleTempFiles {
  /** Left by processes that no longer exist and not needed: removed unless only reporting. */
  removed: string[];
  /** Belonging to a process that is still running (another export writing the same output?). */
  inUse: Array<{ path: string; pid: number }>;
  /**
   * Backups a crashed run left where the output itself was gone: the backup was put back under the output's name
   * (or, when only reporting, would be).
   */
  restored: Array<{ backup: string; path: string }>;
  /**
   * Backups a crashed run left after replacing the output: the backup is the only copy of the output before that
   * run, and whether that run succeeded cannot be told, so it is kept for the user to restore or delete.
   */
  kept: Array<{ backup: string; path: string; pid: number | undefined }>;
}

/**
 * Finds the temporary files and backups earlier runs left beside `finalPath`. Those of a live process are reported.
 * Of a process that no longer exists on this machine (or without a pid, from a version before pids were recorded):
 * a temporary file is removed; a backup is removed only when the output still holds the same bytes (the run died
 * before replacing it), is put back when the output is gone, and is otherwise kept and reported, since it may be
 * the only copy of the user's previous output. With `dryRun` nothing is changed, only reported.
 */
export async function sweepStaleTempFiles(finalPath: string, options: { dryRun?: boolean } = {}): Promise<StaleTempFiles> {
  const dir = dirname(finalPath);
  const prefix = `.${basename(finalPath)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const result: StaleTempFiles = { removed: [], inUse: [], restored: [], kept: [] };
  for (const name of names) {
    const kind = name.endsWith('.partial') ? 'partial' : name.endsWith('.backup') ? 'backup' : undefined;
    if (!name.startsWith(prefix) || kind === undefined) continue;
    const path = join(dir, name);
    if (LIVE_FILES.has(path)) continue;
    // <pid>-<hex>, or <hex> alone from a version before pids; anything else is another output's file
    // (`.images.jsonl.gz.<pid>-<hex>.backup` starts with the prefix of images.jsonl too).
    const id = /^(?:(\d+)-)?[0-9a-f]+$/.exec(name.slice(prefix.length, -(kind.length + 1)));
    if (!id) continue;
    const pid = id[1] && Number(id[1]) > 0 ? Number(id[1]) : undefined;
    if (pid !== undefined && processIsAlive(pid)) {
      result.inUse.push({ path, pid });
      continue;
    }
    if (kind === 'partial') {
      if (!options.dryRun) await rm(path, { force: true });
      result.removed.push(path);
      continue;
    }
    const verdict = await backupVerdict(path, finalPath);
    if (verdict === 'redundant') {
      if (!options.dryRun) await rm(path, { force: true });
      result.removed.push(path);
    } else if (verdict === 'restore') {
      if (!options.dryRun) await rename(path, finalPath);
      result.restored.push({ backup: path, path: finalPath });
    } else result.kept.push({ backup: path, path: finalPath, pid });
  }
  return result;
}

/** What a crash-left backup is: a second name for the output still in place, the output's only copy, or an older output. */
async function backupVerdict(backup: string, finalPath: string): Promise<'redundant' | 'restore' | 'keep'> {
  const same = await sameFile(backup, finalPath);
  if (same === 'missing') return 'restore';
  if (same === 'same') return 'redundant';
  return (await sameBytes(backup, finalPath)) ? 'redundant' : 'keep';
}

/** Whether a process of this host runs with that pid (one of another user counts: it exists). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
