import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { lstat, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import { OutputUnwritableError, QcsError, SinkError } from '../errors.js';
import { FileBackup, syncDir } from './file-backup.js';
import { checkPublishable, checkWritable, refuseSpecialFile } from './path-checks.js';
import { liveFiles, tempPathFor } from './temp-files.js';

export interface AtomicFileOptions {
  /** Compress with gzip: true for level 6, or an explicit level 1..9. Default: false. */
  gzip?: boolean | { level: number };
  /** Permissions of the new file. Default: 0o600 (the inventory is sensitive). */
  mode?: number;
  /** Stream buffer size; write() waits for 'drain' beyond it. Default: 1 MiB. */
  highWaterMark?: number;
  /** The mount table finish() looks the final path up in. Default: /proc/self/mountinfo; tests pass their own. */
  mountInfo?: string;
}

/** What commit() did to the final path, and what rollback() then made of it. */
export type FilePublished = 'replaced' | 'created' | 'restored';

/**
 * A file that appears under its final name only when complete: data goes to a hidden temporary file in the same
 * directory (so the final rename is atomic on one filesystem), finish() fsyncs it and checks that it can be renamed
 * into place, and commit() renames it. abort() removes the temporary file and never touches an existing file at the
 * final path.
 *
 * Publishing is undoable until the run settles: commit() first keeps the file it replaces under a hidden backup
 * name (a hard link), rollback() puts that back (or removes the new file when there was none), settle() drops it.
 */
export class AtomicFileWriter {
  private bytesIn = 0;
  private failure: Error | undefined;
  private finished = false;
  private synced = false;
  private readonly failures: Array<(e: Error) => void> = [];
  private outcome: FilePublished | undefined;
  private backup: FileBackup | undefined;
  /** The new file as commit() renamed it into place, so rollback() removes only that file. */
  private placed: { dev: number; ino: number } | undefined;

  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    private readonly file: WriteStream,
    private readonly gzip: Gzip | undefined,
    private readonly mountInfo: string | undefined,
  ) {
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const notify of this.failures.splice(0)) notify(this.wrap(e));
    };
    file.on('error', fail);
    gzip?.on('error', fail);
  }

  static async open(finalPath: string, options: AtomicFileOptions = {}): Promise<AtomicFileWriter> {
    await checkWritable(finalPath, { create: true, mountInfo: options.mountInfo });
    const tempPath = tempPathFor(finalPath);
    const highWaterMark = options.highWaterMark ?? 1 << 20;
    const file = createWriteStream(tempPath, { mode: options.mode ?? 0o600, flags: 'wx', highWaterMark });
    try {
      await once(file, 'open');
    } catch (error) {
      throw new OutputUnwritableError(`cannot write ${finalPath}: ${(error as Error).message}; check that the directory is writable`, { cause: error });
    }
    const level = typeof options.gzip === 'object' ? options.gzip.level : 6;
    const gzip = options.gzip ? createGzip({ level, chunkSize: 64 * 1024 }) : undefined;
    gzip?.pipe(file);
    liveFiles.set(tempPath, { kind: 'partial' });
    return new AtomicFileWriter(finalPath, tempPath, file, gzip, options.mountInfo);
  }

  /**
   * The stream behind write(), for a library that pipes its own output (the xlsx zip). Whoever pipes into it ends
   * it; commit() then waits for the file to close before the fsync and rename.
   */
  get stream(): Writable {
    return this.gzip ?? this.file;
  }

  /** Rejects when the file or its compressor fails: race it with a library's own completion promise, which may never settle then. */
  whenFailed(): Promise<never> {
    if (this.failure) return Promise.reject(this.wrap(this.failure));
    return new Promise<never>((_, reject) => this.failures.push(reject));
  }

  /** Bytes handed to write(), before compression. */
  get bytesWritten(): number {
    return this.bytesIn;
  }

  /** What commit() did ('replaced', 'created'), then 'restored' after rollback(); undefined before commit(). */
  get published(): FilePublished | undefined {
    return this.outcome;
  }

  /** Resolves once the stream can take more: this is where a fast source waits for a slow disk. */
  async write(chunk: string | Buffer): Promise<void> {
    this.throwIfFailed();
    if (this.finished) throw new SinkError(`${this.finalPath} is already closed`);
    const target = this.gzip ?? this.file;
    this.bytesIn += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!target.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          cleanup();
          resolve();
        };
        const onError = (e: Error) => {
          cleanup();
          reject(this.wrap(e));
        };
        const cleanup = () => {
          target.off('drain', onDrain);
          this.file.off('error', onError);
          this.gzip?.off('error', onError);
        };
        target.on('drain', onDrain);
        this.file.on('error', onError);
        this.gzip?.on('error', onError);
      });
    }
    this.throwIfFailed();
  }

  /**
   * First phase of a commit: flushes, closes and fsyncs the temporary file, so the data is safe on disk, without
   * making it visible; then checks that the rename can happen (checkPublishable), so that what can be found out
   * fails here, before any output of the run is replaced. Idempotent. On failure the temporary file is removed.
   */
  async finish(): Promise<void> {
    this.throwIfFailed();
    if (this.synced) return;
    if (this.finished) throw new SinkError(`${this.finalPath} is already closed`);
    this.finished = true;
    try {
      const target = this.gzip ?? this.file;
      if (!target.writableEnded) target.end();
      if (!this.file.closed) await once(this.file, 'close');
      this.throwIfFailed();
      const handle = await open(this.tempPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await checkPublishable(this.finalPath, { mountInfo: this.mountInfo });
      this.synced = true;
    } catch (error) {
      throw await this.failedWith(error, [this.tempPath]);
    }
  }

  /**
   * Second phase: keeps the file at the final path under a backup name, renames the finished file into place and
   * fsyncs the directory. Returns the final path, its size on disk and what it did. On failure nothing is replaced
   * and nothing is left behind, or the error names what could not be removed.
   */
  async commit(): Promise<{ path: string; bytes: number; published: FilePublished }> {
    await this.finish();
    if (this.outcome) throw new SinkError(`${this.finalPath} is already published`);
    const dir = dirname(this.finalPath);
    try {
      // Checked again just before the rename: the path may have become a link or a device since finish().
      refuseSpecialFile(this.finalPath, await lstat(this.finalPath).catch(() => undefined));
      this.backup = await FileBackup.keep(this.finalPath);
      await rename(this.tempPath, this.finalPath);
    } catch (error) {
      const backup = this.backup;
      this.backup = undefined;
      // The rename did not happen, so a backup is only a second name of the file still in place.
      const dropped = await backup?.drop().then(
        () => undefined,
        () => backup.path,
      );
      throw await this.failedWith(error, [this.tempPath], dropped ? [dropped] : []);
    }
    liveFiles.delete(this.tempPath);
    this.backup?.replaced();
    try {
      const placed = await stat(this.finalPath);
      this.placed = { dev: placed.dev, ino: placed.ino };
      if (!this.backup) liveFiles.set(this.finalPath, { kind: 'created', finalPath: this.finalPath, ...this.placed });
      await syncDir(dir);
      this.outcome = this.backup ? 'replaced' : 'created';
      return { path: this.finalPath, bytes: placed.size, published: this.outcome };
    } catch (error) {
      // Published but not durable: undone, so that a failed close() never leaves the new output in place.
      this.outcome = this.backup ? 'replaced' : 'created';
      const undo = await this.rollback().then(
        () => undefined,
        (e: Error) => e.message,
      );
      this.outcome = undefined;
      const wrapped = this.wrap(error as Error);
      throw undo ? withNote(wrapped, `and undoing the rename failed: ${undo}`) : wrapped;
    }
  }

  /**
   * After commit(), when the run fails: puts the previous file back under the final name (byte for byte: it is the
   * same file), or removes the new file when there was none, and fsyncs the directory. The backup is gone after.
   */
  async rollback(): Promise<void> {
    if (this.outcome === 'restored') return;
    if (!this.outcome) throw new SinkError(`${this.finalPath} was not published, there is nothing to roll back`);
    if (this.backup) await this.backup.restore();
    else {
      const now = await lstat(this.finalPath).catch(() => undefined);
      if (now && (now.dev !== this.placed?.dev || now.ino !== this.placed?.ino)) {
        throw new SinkError(`cannot remove ${this.finalPath}, which this run created: it was replaced by another file since; it is left as it is`);
      }
      if (now) await rm(this.finalPath);
      liveFiles.delete(this.finalPath);
      await syncDir(dirname(this.finalPath));
    }
    this.backup = undefined;
    this.outcome = 'restored';
  }

  /** After every output of the run is published: drops the backup of the previous file. */
  async settle(): Promise<void> {
    if (!this.outcome || this.outcome === 'restored') throw new SinkError(`${this.finalPath} is not published, there is nothing to settle`);
    liveFiles.delete(this.finalPath);
    await this.backup?.drop();
    this.backup = undefined;
  }

  /** Discards everything written. Safe to call more than once and after a failed write or commit; never touches a published file. */
  async abort(): Promise<void> {
    this.finished = true;
    this.gzip?.destroy();
    this.file.destroy();
    if (!this.file.closed) await once(this.file, 'close').catch(() => undefined);
    if (this.outcome) return;
    await rm(this.tempPath, { force: true });
    liveFiles.delete(this.tempPath);
  }

  /** Throws the file's failure, if it has one: for a caller that waits on something else in a loop. */
  throwIfFailed(): void {
    if (this.failure) throw this.wrap(this.failure);
  }

  /**
   * The error to throw once the files a failed step leaves are removed: the first error always, never one from the
   * clean-up, with the path of anything the clean-up could not remove (a read-only remount refuses both).
   */
  private async failedWith(error: unknown, remove: string[], alsoLeft: string[] = []): Promise<Error> {
    const left = [...alsoLeft];
    for (const path of remove) {
      try {
        // unlink, not rm: rm answers a refused unlink with its own retry's error (ENOTDIR), hiding the cause.
        await unlink(path).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        liveFiles.delete(path);
      } catch (cleanup) {
        left.push(`${path} (${(cleanup as NodeJS.ErrnoException).code ?? (cleanup as Error).message})`);
      }
    }
    const wrapped = this.wrap(error as Error);
    return left.length === 0 ? wrapped : withNote(wrapped, `and ${left.join(', ')} could not be removed: remove it by hand once the cause is fixed`);
  }

  private wrap(error: Error): Error {
    if (error instanceof SinkError || error instanceof OutputUnwritableError) return error;
    return new SinkError(`writing ${this.finalPath} failed: ${error.message}`, { cause: error });
  }
}

/** The same error with a note appended to its message (same class, code and cause), for what a clean-up left. */
function withNote(error: Error, note: string): Error {
  if (error instanceof QcsError) {
    const Same = error.constructor as new (message: string, options?: { cause?: unknown }) => Error;
    return new Same(`${error.message}; ${note}`, { cause: error.cause ?? error });
  }
  return new SinkError(`${error.message}; ${note}`, { cause: error });
}
