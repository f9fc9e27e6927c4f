import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * O_NONBLOCK so that opening a FIFO returns at once instead of waiting for a writer (for a regular file the flag
 * changes nothing); O_NOCTTY so that naming a terminal cannot make it this process's controlling terminal.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Why a path is no small file to read whole: too large, or what it is instead of a regular file. */
export type NotReadable = 'too large' | 'a directory' | 'a FIFO (named pipe)' | 'a socket' | 'a device' | 'not a regular file';

export type BoundedRead = { ok: true; bytes: Buffer } | { ok: false; why: NotReadable };

/**
 * Only a regular file of at most `maxBytes` is read whole: a FIFO would block the read until something writes to it,
 * /dev/zero or /dev/urandom would never end, a directory has no content.
 */
function notReadable(info: Stats, maxBytes: number): NotReadable | undefined {
  if (info.isFile()) return info.size > maxBytes ? 'too large' : undefined;
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** At most one byte more than the limit is read: enough to tell a file that grew past it since it was checked. */
function bounded(buffer: Buffer, length: number, maxBytes: number): BoundedRead {
  return length > maxBytes ? { ok: false, why: 'too large' } : { ok: true, bytes: buffer.subarray(0, length) };
}

/**
 * Reads a small file whole, for a secret or a CA file a config names. The path is looked at before it is opened, so a
 * device or a FIFO is never opened at all, and the opened handle again, so a file swapped in between is caught.
 * Errors of the filesystem (a missing file, no permission) are thrown as they come. `opened` gets the handle, so a
 * caller that gives up waiting can close it.
 */
export async function readBoundedFile(path: string, maxBytes: number, opened?: (handle: FileHandle) => void): Promise<BoundedRead> {
  const before = notReadable(await stat(path), maxBytes);
  if (before !== undefined) return { ok: false, why: before };
  const handle = await open(path, OPEN_FLAGS);
  opened?.(handle);
  try {
    const after = notReadable(await handle.stat(), maxBytes);
    if (after !== undefined) return { ok: false, why: after };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) ({ bytesRead: n } = await handle.read(buffer, length, buffer.length - length, null));
    return bounded(buffer, length, maxBytes);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** readBoundedFile, synchronously (parseConfig has no event loop to wait on). */
export function readBoundedFileSync(path: string, maxBytes: number): BoundedRead {
  const before = notReadable(statSync(path), maxBytes);
  if (before !== undefined) return { ok: false, why: before };
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const after = notReadable(fstatSync(fd), maxBytes);
    if (after !== undefined) return { ok: false, why: after };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    return bounded(buffer, length, maxBytes);
  } finally {
    closeSync(fd);
  }
}
