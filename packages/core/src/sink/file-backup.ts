import { constants } from 'node:fs';
import { copyFile, link, lstat, open, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SinkError } from '../errors.js';
import { backupPathFor, liveFiles } from './temp-files.js';

/**
 * fsyncs a directory, so that a rename or removal in it survives a power loss, not only the file's data. A
 * filesystem that cannot sync a directory (EINVAL) gives no such promise and is let be.
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
  } finally {
    await handle.close();
  }
}

/** Links cannot be made here (a filesystem without hard links, a link limit): a copy is made instead. */
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);

/**
 * The previous output of one file, kept under a hidden name in its directory from just before the new output is
 * renamed over it until the run settles (drop) or fails (restore). A hard link, so the final path never goes
 * missing and the kept file is the previous one itself: the same bytes, mode and times. Where links cannot be
 * made, a synced copy.
 */
export class FileBackup {
  private constructor(
    readonly finalPath: string,
    readonly path: string,
  ) {}

  /** Keeps the file now at `finalPath`; undefined when there is none (the output will be created). */
  static async keep(finalPath: string): Promise<FileBackup | undefined> {
    const existing = await lstat(finalPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (existing === undefined) return undefined;
    const path = backupPathFor(finalPath);
    liveFiles.set(path, { kind: 'backup', finalPath, replaced: false });
    try {
      await link(finalPath, path).catch(async (error: NodeJS.ErrnoException) => {
        if (!NO_LINK.has(error.code ?? '')) throw error;
        // The link's error is the one to report when a copy fails too: the directory refuses both.
        await copyFile(finalPath, path, constants.COPYFILE_EXCL).catch(() => Promise.reject(error));
        const copy = await open(path, 'r');
        await copy.sync().finally(() => copy.close());
      });
    } catch (error) {
      await unlink(path).catch(() => undefined);
      liveFiles.delete(path);
      throw new SinkError(`cannot keep a backup of ${finalPath} before replacing it: ${(error as Error).message}; nothing was replaced`, {
        cause: error,
      });
    }
    return new FileBackup(finalPath, path);
  }

  /** The new output now holds the final name: from here the backup is the only copy of the previous output. */
  replaced(): void {
    liveFiles.set(this.path, { kind: 'backup', finalPath: this.finalPath, replaced: true });
  }

  /** Renames the backup over the final path, which then holds the previous output again. */
  async restore(): Promise<void> {
    try {
      await rename(this.path, this.finalPath);
    } catch (error) {
      throw new SinkError(
        `cannot put back the previous ${this.finalPath}: ${(error as Error).message}; it is kept at ${this.path}: ` +
          `move it back by hand (mv '${this.path}' '${this.finalPath}')`,
        { cause: error },
      );
    }
    liveFiles.delete(this.path);
    await syncDir(dirname(this.finalPath));
  }

  /** Removes the backup: the run published, or the new output never replaced the file it is a name of. */
  async drop(): Promise<void> {
    // Forgotten first: an exit at once after this must not put back an output the run has settled on.
    liveFiles.delete(this.path);
    await rm(this.path, { force: true });
  }
}
