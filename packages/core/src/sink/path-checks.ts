import type { Stats } from 'node:fs';
import { access, constants, lstat, mkdir, readFile, realpath, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempPathFor } from './temp-files.js';
import { OutputUnwritableError } from '../errors.js';

/**
 * Checks that a file can be created at `path`: the nearest existing ancestor must be a writable directory, and the
 * path itself a regular file or nothing (see refuseSpecialFile). Nothing is written unless `create` is set, which
 * makes the missing parent directories one level at a time (an export into a fresh out/ folder should just work;
 * Node's recursive mkdir can spin for ever on some paths, /proc among them, so it is not used).
 */
export async function checkWritable(path: string, options: { create?: boolean; mountInfo?: string } = {}): Promise<void> {
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
  await checkDirWritable(dir, unwritable);
  await refuseKernelFilesystem(dir, missing.length > 0, unwritable);
  refuseLongNames(path, unwritable);
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
  const existing = await lstat(path).catch(() => undefined);
  refuseSpecialFile(path, existing);
  // Found here too, not only at publish: validate then reports it, and a run fails before it fetches anything.
  if (existing) await refuseMountPoint(path, existing, await stat(dirname(path)), options.mountInfo);
}

/**
 * What can be checked before any output is replaced, so that the run's publish step (a rename per file) fails as
 * rarely as possible after another output was already replaced: the directory is still there and writable (a
 * read-only remount since open()), the path is a regular file or nothing, and it is not a mount point, which no
 * rename can replace (EBUSY): `docker run -v ./images.xlsx:/data/images.xlsx` makes the file itself one.
 */
export async function checkPublishable(path: string, options: { mountInfo?: string } = {}): Promise<void> {
  const dir = dirname(path);
  const unwritable = (why: string, cause?: unknown) =>
    new OutputUnwritableError(`cannot publish ${path}: ${why}; no output has been replaced, fix this and run again`, { cause });
  const dirStats = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    throw unwritable(`its directory ${dir} is gone (${error.code ?? error.message})`, error);
  });
  if (!dirStats.isDirectory()) throw unwritable(`${dir} is no longer a directory`);
  await checkDirWritable(dir, unwritable);
  const existing = await lstat(path).catch(() => undefined);
  refuseSpecialFile(path, existing);
  if (existing) await refuseMountPoint(path, existing, dirStats, options.mountInfo);
}

/**
 * Filesystems the kernel makes up, by statfs magic number. Root passes access(W_OK) on them, yet no file or directory
 * can be created there (mkdir /proc/x fails), so without this a path under /proc passed validate and the pre-run check
 * and failed only when the sink opened, after the first page.
 */
const KERNEL_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x1cd1, 'devpts'],
]);

async function refuseKernelFilesystem(dir: string, creates: boolean, unwritable: (why: string) => OutputUnwritableError): Promise<void> {
  // Where statfs is missing or fails, the checks before it and the write itself remain.
  const type = await statfs(dir).then(
    (s) => s.type,
    () => undefined,
  );
  const name = type === undefined ? undefined : KERNEL_FILESYSTEMS.get(type);
  if (name !== undefined) throw unwritable(`${dir} is on ${name}, a filesystem of the kernel's where ${creates ? 'no directory' : 'no file'} can be created`);
}

/** The longest file name most filesystems take (NAME_MAX), in bytes: a longer one fails the run's mkdir or open. */
const NAME_MAX_BYTES = 255;

/**
 * The file's name as its temporary file (`.<name>.<pid>-<random>.partial`) extends it: a name a little under the limit
 * passes every other check and fails the open. (A directory name over it fails the stat above with ENAMETOOLONG.)
 */
function refuseLongNames(path: string, unwritable: (why: string) => OutputUnwritableError): void {
  const spare = NAME_MAX_BYTES - Buffer.byteLength(basename(tempPathFor(path)));
  if (spare < 0) {
    throw unwritable(
      `the file name ${basename(path).slice(0, 40)}… is too long: with the temporary file's additions it would pass the ${NAME_MAX_BYTES} bytes ` +
        `filesystems take; shorten it by ${-spare} bytes`,
    );
  }
}

async function refuseMountPoint(path: string, existing: Stats, dirStats: Stats, mountInfo: string | undefined): Promise<void> {
  // A bind mount from another filesystem shows as another device; one within the same filesystem only in mountinfo.
  if (existing.dev === dirStats.dev && !(await isMountPoint(path, mountInfo))) return;
  throw new OutputUnwritableError(
    `cannot replace ${path}: it is a mount point (a file mounted on its own, as docker run -v ./file:/data/file does), and a mount point cannot be ` +
      `replaced by renaming a finished file over it; mount the directory instead (docker run -v ./out:/data) and write the file inside it`,
  );
}

async function checkDirWritable(dir: string, unwritable: (why: string, cause?: unknown) => OutputUnwritableError): Promise<void> {
  try {
    // W_OK answers EROFS on a read-only mount even for root, who passes every permission check.
    await access(dir, constants.W_OK);
  } catch (error) {
    throw unwritable(`${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'denied'})`, error);
  }
}

/** Whether the path is listed as a mount point in the mount table (`/proc/self/mountinfo` where there is one). */
async function isMountPoint(path: string, mountInfo = '/proc/self/mountinfo'): Promise<boolean> {
  const table = await readFile(mountInfo, 'utf8').catch(() => undefined);
  if (table === undefined) return false;
  const real = join(await realpath(dirname(path)), basename(path));
  return mountPointsIn(table).has(real);
}

/** The mount points of a mountinfo table: its fifth field, with the kernel's octal escapes (\040 for a space) undone. */
export function mountPointsIn(table: string): Set<string> {
  const points = new Set<string>();
  for (const line of table.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))));
  }
  return points;
}

/**
 * An output replaces a regular file or creates a new one, and nothing else. Renaming a finished file over a device
 * (/dev/null, /dev/stdout as root), a FIFO or a socket would replace that node with a regular file; renaming it
 * over a symbolic link would replace the link and leave its target stale, so a link is refused too rather than
 * followed: name the real file.
 */
export function refuseSpecialFile(path: string, existing: Stats | undefined): void {
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
