import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileDigest {
  path: string;
  bytes: number;
  sha256: string;
}

/** Size and SHA-256 of a file, read as a stream (a workbook may be large); undefined when there is no such file. */
export async function digestFile(path: string): Promise<FileDigest | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, bytes: info.size, sha256: hash.digest('hex') };
}
