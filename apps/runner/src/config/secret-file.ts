import type { FileHandle } from 'node:fs/promises';
import { AbortedError } from '@qcs-export/core';
import { readBoundedFile, readBoundedFileSync, type BoundedRead, type NotReadable } from './bounded-file.js';

/** A secret file is a key or a password, not data; anything bigger is a wrong path. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;
/** A mounted secret reads in microseconds; one that takes this long is on a filesystem that stopped answering. */
export const SECRET_READ_TIMEOUT_MS = 10_000;

/** The content of a ${file:…} secret, or why it cannot be used (a message naming the path, never the content). */
export type SecretFile = { ok: true; value: string } | { ok: false; problem: string };

const refused = (problem: string): SecretFile => ({ ok: false, problem });

/** Why a file cannot be a secret, in the words a config error gives: only a regular file of at most 64 KiB can. */
function refusal(path: string, why: NotReadable): SecretFile {
  if (why === 'too large') return refused(`${path} is larger than 64 KiB, which is not a secret; check the \${file:…} path`);
  return refused(`${path} is ${why}; \${file:…} reads a regular file of at most 64 KiB holding the secret (a mounted Kubernetes or Docker secret is one)`);
}

function decode(path: string, read: BoundedRead): SecretFile {
  if (!read.ok) return refusal(path, read.why);
  const value = read.bytes.toString('utf8').replace(/\r?\n$/, '');
  return value === '' ? refused(`${path} is empty; put the secret in it`) : { ok: true, value };
}

const cannotRead = (path: string, error: unknown): SecretFile =>
  refused(`cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);

/** Reads a secret file synchronously (parseConfig, which has no event loop to wait on), as readBoundedFile reads. */
export function readSecretFileSync(path: string): SecretFile {
  try {
    return decode(path, readBoundedFileSync(path, MAX_SECRET_FILE_BYTES));
  } catch (error) {
    return cannotRead(path, error);
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
    readBoundedFile(path, MAX_SECRET_FILE_BYTES, (h) => (handle = h)).then(
      (result) => settle(() => resolve(decode(path, result))),
      (error: unknown) => settle(() => resolve(cannotRead(path, error))),
    );
  });
}
