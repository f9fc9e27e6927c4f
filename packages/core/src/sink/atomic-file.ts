import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { access, constants, lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { OutputUnwritableError, SinkError } from '../errors.js';

export interface AtomicFileOptions {
  /** Compress with gzip: true for level 6, or an explicit level 1..9. Default: false. */
  gzip?: boolean | { level: number };
  /** Permissions of the new file. Default: 0o600 (the inventory is sensitive). */
  mode?: number;
  /** Stream buffer size; write() waits for 'drain' beyond it. Default: 1 MiB. */
  highWaterMark?: number;
}

/**
 * A file that appears under its final name only when complete: data goes to a hidden temporary file in the same
 * directory (so the final rename is atomic on one filesystem), and commit() fsyncs and renames it. abort()
 * removes the temporary file and never touches an existing file at the final path.
 */
export class AtomicFileWriter {
  private bytesIn = 0;
  private failure: Error | undefined;
  private finished = false;
  private synced = false;
  private readonly failures: Array<(e: Error) => void> = [];

  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    private readonly file: WriteStream,
    private readonly gzip: Gzip | undefined,
  ) {
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const notify of this.failures.splice(0)) notify(this.wrap(e));
    };
    file.on('error', fail);
    gzip?.on('error', fail);
  }

  static async open(finalPath: string, options: AtomicFileOptions = {}): Promise<AtomicFileWriter> {
    await checkWritable(finalPath, { create: true });
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
    LIVE_TEMP_FILES.add(tempPath);
    return new AtomicFileWriter(finalPath, tempPath, file, gzip);
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
   * making it visible. Idempotent. On failure the temporary file is removed.
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
      this.synced = true;
    } catch (error) {
      await rm(this.tempPath, { force: true });
      throw this.wrap(error as Error);
    }
  }

  /** Second phase: renames the finished file into place; returns the final path and its size on disk. */
  async commit(): Promise<{ path: string; bytes: number }> {
    await this.finish();
    try {
      // Checked again just before the rename: the path may have become a link or a device since open().
      refuseSpecialFile(this.finalPath, await lstat(this.finalPath).catch(() => undefined));
      await rename(this.tempPath, this.finalPath);
      LIVE_TEMP_FILES.delete(this.tempPath);
      return { path: this.finalPath, bytes: (await stat(this.finalPath)).size };
    } catch (error) {
      await rm(this.tempPath, { force: true });
      throw this.wrap(error as Error);
    }
  }

  /** Discards everything written. Safe to call more than once and after a failed write or commit. */
  async abort(): Promise<void> {
    this.finished = true;
    this.gzip?.destroy();
    this.file.destroy();
    if (!this.file.closed) await once(this.file, 'close').catch(() => undefined);
    await rm(this.tempPath, { force: true });
    LIVE_TEMP_FILES.delete(this.tempPath);
  }

  /** Throws the file's failure, if it has one: for a caller that waits on something else in a loop. */
  throwIfFailed(): void {
    if (this.failure) throw this.wrap(this.failure);
  }

  private wrap(error: Error): Error {
    if (error instanceof SinkError || error instanceof OutputUnwritableError) return error;
    return new SinkError(`writing ${this.finalPath} failed: ${error.message}`, { cause: error });
  }
}

/**
 * Checks that a file can be created at `path`: the nearest existing ancestor must be a writable directory, and the
 * path itself a regular file or nothing (see refuseSpecialFile). Nothing is written unless `create` is set, which
 * makes the missing parent directories one level at a time (an export into a fresh out/ folder should just work;
 * Node's recursive mkdir can spin for ever on some paths, /proc among them, so it is not used).
 */
export async function checkWritable(path: string, options: { create?: boolean } = {}): Promise<void> {
  const unwritable = (why: string, cause?: unknown) =>
    new OutputUnwritableError(`cannot write ${path}: ${why}; choose a path in a writable directory`, { cause });
  const missing: string[] = [];
  let dir = dirname(path);
  let found: Stats | undefined;
  for (;;) {
    try {
      found = await stat(dir);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw unwritable(`a parent of ${dir} is a file, not a directory`, error);
      if (code !== 'ENOENT') throw unwritable(`${code ?? (error as Error).message} on ${dir}`, error);
      const parent = dirname(dir);
      if (parent === dir) throw unwritable(`no part of ${dirname(path)} exists`);
      missing.unshift(dir);
      dir = parent;
    }
  }
  if (!found.isDirectory()) throw unwritable(`${dir} is a file, not a directory`);
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    throw unwritable(`${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'denied'})`, error);
  }
  if (options.create) {
    for (const d of missing) {
      try {
        await mkdir(d);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw unwritable(`cannot create ${d} (${code ?? (error as Error).message})`, error);
      }
    }
  }
  refuseSpecialFile(path, await lstat(path).catch(() => undefined));
}

/**
 * An output replaces a regular file or creates a new one, and nothing else. Renaming a finished file over a device
 * (/dev/null, /dev/stdout as root), a FIFO or a socket would replace that node with a regular file; renaming it
 * over a symbolic link would replace the link and leave its target stale, so a link is refused too rather than
 * followed: name the real file.
 */
function refuseSpecialFile(path: string, existing: Stats | undefined): void {
  if (existing === undefined || existing.isFile()) return;
  if (existing.isDirectory()) throw new OutputUnwritableError(`cannot write ${path}: it is a directory; name a file`);
  if (existing.isSymbolicLink()) {
    throw new OutputUnwritableError(
      `cannot write ${path}: it is a symbolic link; outputs are replaced atomically, which would replace the link itself, so name the file it points to`,
    );
  }
  const kind = existing.isFIFO() ? 'a FIFO (named pipe)' : existing.isSocket() ? 'a socket' : 'a device';
  throw new OutputUnwritableError(
    `cannot write ${path}: it is ${kind}, not a regular file, and qcs-export never replaces one; to stream JSON Lines to stdout use path: "-"`,
  );
}

/**
 * Temporary files name their process: `.<name>.<pid>-<random>.partial`, so a later run can tell a file left by a
 * crash (kill -9, out of memory) from one a running export is still writing.
 */
function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}-${randomBytes(6).toString('hex')}.partial`);
}

/** Temporary files this process has open, for a last-moment clean-up when it must exit at once (a second Ctrl-C). */
const LIVE_TEMP_FILES = new Set<string>();

/** Removes this process's temporary files synchronously; for an exit that cannot wait for the sinks to abort. */
export function removeLiveTempFilesSync(): void {
  for (const path of LIVE_TEMP_FILES) {
    try {
      rmSync(path, { force: true });
    } catch {
      // best effort: the process is exiting
    }
  }
  LIVE_TEMP_FILES.clear();
}

export interface StaleTempFiles {
  /** Left by processes that no longer exist; removed unless only reporting. */
  removed: string[];
  /** Belonging to a process that is still running (another export writing the same output?). */
  inUse: Array<{ path: string; pid: number }>;
}

/**
 * Finds the temporary files earlier runs left beside `finalPath`. Those whose process no longer exists on this
 * machine are removed (unless `dryRun`); those of a live process are reported. A temporary file without a pid
 * (from a version before pids were recorded) is treated as stale.
 */
export async function sweepStaleTempFiles(finalPath: string, options: { dryRun?: boolean } = {}): Promise<StaleTempFiles> {
  const dir = dirname(finalPath);
  const prefix = `.${basename(finalPath)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const result: StaleTempFiles = { removed: [], inUse: [] };
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.partial')) continue;
    const path = join(dir, name);
    if (LIVE_TEMP_FILES.has(path)) continue;
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length, -'.partial'.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && processIsAlive(pid)) {
      result.inUse.push({ path, pid });
      continue;
    }
    if (!options.dryRun) await rm(path, { force: true });
    result.removed.push(path);
  }
  return result;
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
