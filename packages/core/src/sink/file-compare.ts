import { lstat, open } from 'node:fs/promises';

/**
 * Whether `other` is the very file `path` names (one inode under two names), is missing, or is something else.
 * `path` must exist.
 */
export async function sameFile(path: string, other: string): Promise<'same' | 'missing' | 'different'> {
  const a = await lstat(path);
  const b = await lstat(other).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (b === undefined) return 'missing';
  return a.dev === b.dev && a.ino === b.ino ? 'same' : 'different';
}

/** Whether two regular files hold the same bytes; read in fixed chunks, so a large output costs no memory. */
export async function sameBytes(path: string, other: string): Promise<boolean> {
  const [a, b] = await Promise.all([lstat(path), lstat(other)]);
  if (!a.isFile() || !b.isFile() || a.size !== b.size) return false;
  const [fa, fb] = await Promise.all([open(path, 'r'), open(other, 'r')]);
  try {
    const chunk = 1 << 20;
    const ba = Buffer.alloc(chunk);
    const bb = Buffer.alloc(chunk);
    for (let at = 0; at < a.size; at += chunk) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, chunk, at), fb.read(bb, 0, chunk, at)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      if (ra.bytesRead === 0) break;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
