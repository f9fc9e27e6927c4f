import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { AbortedError } from '@qcs-export/core';

/** A secret file is a key or a password, not data; anything bigger is a wrong path. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;
/** A mounted secret reads in microseconds; one that takes this long is on a filesystem that stopped answering. */
export const SECRET_READ_TIMEOUT_MS = 10_000;

/** The content of a ${file:…} secret, or why it cannot be used (a message naming the path, never the content). */
export type SecretFile = { ok: true; value: string } | { ok: false; problem: string };

/**
 * O_NONBLOCK so that opening a FIFO returns at once instead of waiting for a writer (for a regular file the flag
 * changes nothing); O_NOCTTY so that naming a terminal cannot make it this process's controlling terminal.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

const refused = (problem: string): SecretFile => ({ ok: false, problem });

/**
 * Why a file cannot be a secret: only a regular file of at most MAX_SECRET_FILE_BYTES can. A FIFO would block the
 * read until something writes to it, /dev/zero or /dev/urandom would never end, a directory has no content.
 */
function refusal(path: string, info: Stats): string | undefined {
  if (info.isFile()) {
    return info.size > MAX_SECRET_FILE_BYTES ? `${path} is larger than 64 KiB, which is not a secret; check the \${file:…} path` : undefined;
  }
  const kind = info.isDirectory()
    ? 'a directory'
    : info.isFIFO()
      ? 'a FIFO (named pipe)'
      : info.isSocket()
        ? 'a socket'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'a device'
          : 'not a regular file';
  return `${path} is ${kind}; \${file:…} reads a regular file of at most 64 KiB holding the secret (a mounted Kubernetes or Docker secret is one)`;
}

function decode(path: string, bytes: Buffer): SecretFile {
  // Grown past the limit since it was checked: still not a secret.
  if (bytes.length > MAX_SECRET_FILE_BYTES) return refused(`${path} is larger than 64 KiB, which is not a secret; check the \${file:…} path`);
  const value = bytes.toString('utf8').replace(/\r?\n$/, '');
  return value === '' ? refused(`${path} is empty; put the secret in it`) : { ok: true, value };
}

const cannotRead = (path: string, error: unknown): SecretFile =>
  refused(`cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);

/**
 * Reads a secret file synchronously (parseConfig, which has no event loop to wait on). The path is looked at before
 * it is opened, so a device is never opened at all, and the opened handle is looked at again, so a file swapped in
 * between is caught; at most one byte more than the limit is read.
 */
export function readSecretFileSync(path: string): SecretFile {
  let fd: number | undefined;
  try {
    const before = refusal(path, statSync(path));
    if (before !== undefined) return refused(before);
    fd = openSync(path, OPEN_FLAGS);
    const after = refusal(path, fstatSync(fd));
    if (after !== undefined) return refused(after);
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    return decode(path, buffer.subarray(0, length));
  } catch (error) {
    return cannotRead(path, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function readChecked(path: string, opened: (handle: FileHandle) => void): Promise<SecretFile> {
  const before = refusal(path, await stat(path));
  if (before !== undefined) return refused(before);
  const handle = await open(path, OPEN_FLAGS);
  opened(handle);
  try {
    const after = refusal(path, await handle.stat());
    if (after !== undefined) return refused(after);
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) ({ bytesRead: n } = await handle.read(buffer, length, buffer.length - length, null));
    return decode(path, buffer.subarray(0, length));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads a secret file as readSecretFileSync does, on the thread pool, so the process keeps answering signals, and
 * gives up after `timeoutMs` (a secret on a network filesystem that stopped answering) with a problem to report.
 * An abort of `signal` (SIGINT, SIGTERM) rejects at once with an AbortedError.
 */
export function readSecretFile(path: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SecretFile> {
  const { signal, timeoutMs = SECRET_READ_TIMEOUT_MS } = options;
  if (signal?.aborted) return Promise.reject(new AbortedError());
  return new Promise<SecretFile>((resolve, reject) => {
    let settled = false;
    let handle: FileHandle | undefined;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = () => settle(() => reject(new AbortedError()));
    const timer = setTimeout(
      () =>
        settle(() => {
          // The read itself cannot be cancelled; closing the handle lets it fail instead of hold the descriptor.
          handle?.close().catch(() => undefined);
          resolve(refused(`reading the secret file ${path} did not finish within ${timeoutMs / 1000} s; check the filesystem it is on`));
        }),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    readChecked(path, (h) => (handle = h)).then(
      (result) => settle(() => resolve(result)),
      (error: unknown) => settle(() => resolve(cannotRead(path, error))),
    );
  });
}
