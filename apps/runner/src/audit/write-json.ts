import { AtomicFileWriter } from '@qcs-export/core';

/**
 * Writes a small JSON document so that its path holds either the old version or the whole new one, never a torn
 * file: a temporary file beside it, fsynced, then renamed. Devices, FIFOs and symbolic links are refused, as for
 * every output.
 */
export async function writeJsonAtomically(path: string, value: unknown): Promise<{ bytes: number }> {
  const file = await AtomicFileWriter.open(path, { mode: 0o600 });
  try {
    await file.write(`${JSON.stringify(value, null, 2)}\n`);
    const { bytes } = await file.commit();
    // A state or a manifest stands alone: once it is in place there is nothing to roll back to, so no backup is kept.
    await file.settle();
    return { bytes };
  } catch (error) {
    await file.abort();
    throw error;
  }
}
