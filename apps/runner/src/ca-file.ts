import { X509Certificate } from 'node:crypto';
import { ConfigError } from '@qcs-export/core';
import { readBoundedFile } from './config/bounded-file.js';

/** A CA file holds a few certificates, a whole bundle at most (Mozilla's is about 220 KiB); anything larger is a wrong path. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

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
    const read = await readBoundedFile(path, MAX_CA_FILE_BYTES);
    if (!read.ok) throw problem(read.why === 'too large' ? 'is larger than 1 MiB' : `is ${read.why}`);
    text = read.bytes.toString('utf8');
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
