import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Everything a file sink's directory holds, by name, with each file's bytes (base64) and mode: two snapshots are equal
 * only when the directory is byte for byte as it was, temporary files and backups included.
 */
export async function fileSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const info = await stat(path);
    out[name] = info.isFile() ? `${(info.mode & 0o777).toString(8)} ${(await readFile(path)).toString('base64')}` : 'not a file';
  }
  return out;
}

/**
 * Makes the publish of `path` fail, as a file bind-mounted into a container or a read-only remount would after
 * prepare: a non-empty directory now stands at the final path (a previous output is moved aside meanwhile). Returns
 * the undo, which puts the previous output back under its name.
 */
export async function obstructPublish(path: string): Promise<() => Promise<void>> {
  const aside = `${path}.obstructed`;
  const previous = await stat(path).then(
    () => true,
    () => false,
  );
  if (previous) await rename(path, aside);
  await mkdir(path);
  await writeFile(join(path, 'in the way'), '');
  return async () => {
    await rm(path, { recursive: true, force: true });
    if (previous) await rename(aside, path);
  };
}
