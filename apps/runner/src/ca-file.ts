import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '@qcs-export/core';

/** A CA file holds a few certificates, a whole bundle at most (Mozilla's is about 220 KiB); anything larger is a wrong path. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;
/** O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; O_NOCTTY: a terminal never becomes ours. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Reads the PEM file `setting` names (source.tls.caFile) the way a secret file is read: only a regular file of at most
 * MAX_CA_FILE_BYTES, looked at before it is opened (a device or a FIFO is never opened) and again once open (a file
 * swapped in between is caught), with at most one byte more than the limit read. Every certificate in it must parse,
 * so a wrong file is a config error now, not a baffling TLS failure later. Relative paths are from the working directory.
 */
export async function readCaFile(path: string, setting: string): Promise<string> {
  const problem = (what: string) =>
    new ConfigError(`${setting}: ${path} ${what}; it must be a regular file of at most 1 MiB holding the CA's certificate(s) in PEM form.`, {
      setting: 'tlsCaFile',
    });
  let text: string;
  try {
    const before = refusal(await stat(path));
    if (before) throw problem(before);
    const handle = await open(path, OPEN_FLAGS);
    try {
      const after = refusal(await handle.stat());
      if (after) throw problem(after);
      const buffer = Buffer.alloc(MAX_CA_FILE_BYTES + 1);
      let length = 0;
      for (let n = -1; n !== 0 && length < buffer.length; length += n) ({ bytesRead: n } = await handle.read(buffer, length, buffer.length - length, null));
      if (length > MAX_CA_FILE_BYTES) throw problem('is larger than 1 MiB');
      text = buffer.subarray(0, length).toString('utf8');
    } finally {
      await handle.close().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw problem('holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw problem(`holds a certificate that cannot be read (number ${i + 1}: ${(error as Error).message})`);
    }
  });
  return blocks.join('\n');
}

function refusal(info: Stats): string | undefined {
  if (info.isFile()) return info.size > MAX_CA_FILE_BYTES ? 'is larger than 1 MiB' : undefined;
  if (info.isDirectory()) return 'is a directory';
  if (info.isFIFO()) return 'is a FIFO (named pipe)';
  if (info.isSocket()) return 'is a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'is a device';
  return 'is not a regular file';
}
