import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ImageRecord } from '../record.js';

interface Spilled {
  position: number;
  length: number;
}

/**
 * The images a container run has looked up, so each is fetched once however many containers run it, in memory that
 * does not grow with the run: the most recently used `inMemory` images stay in memory, every other one is read back
 * from a spill file. The file is unlinked as soon as it is open, so it is gone when the process ends, however it ends,
 * and no other process can open it; only its descriptor is used. Images that are gone are remembered as null.
 */
export class ImageCache {
  private readonly recent = new Map<string, ImageRecord | null>();
  private readonly spilled = new Map<string, Spilled | null>();
  private file: FileHandle | undefined;
  private end = 0;
  private pathToRemove: string | undefined;
  /** Images read back from the spill file. */
  rereads = 0;

  constructor(private readonly inMemory = 256) {}

  /** Whether the image was looked up before (found or gone). */
  has(sha: string): boolean {
    return this.recent.has(sha) || this.spilled.has(sha);
  }

  /** Images looked up so far. */
  get size(): number {
    return this.recent.size + this.spilled.size;
  }

  async get(sha: string): Promise<ImageRecord | null | undefined> {
    if (this.recent.has(sha)) {
      const image = this.recent.get(sha) as ImageRecord | null;
      // Most recently used last, so the oldest is the first to go.
      this.recent.delete(sha);
      this.recent.set(sha, image);
      return image;
    }
    const at = this.spilled.get(sha);
    if (at === undefined) return undefined;
    if (at === null) return null;
    const buffer = Buffer.alloc(at.length);
    await (this.file as FileHandle).read(buffer, 0, at.length, at.position);
    this.rereads++;
    return JSON.parse(buffer.toString('utf8')) as ImageRecord;
  }

  async set(sha: string, image: ImageRecord | null): Promise<void> {
    this.recent.set(sha, image);
    while (this.recent.size > this.inMemory) {
      const [oldest, record] = this.recent.entries().next().value as [string, ImageRecord | null];
      this.recent.delete(oldest);
      this.spilled.set(oldest, record === null ? null : await this.spill(record));
    }
  }

  /** Closes the spill file, which the system then removes. */
  async close(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    if (this.pathToRemove !== undefined) await unlink(this.pathToRemove).catch(() => undefined);
  }

  private async spill(image: ImageRecord): Promise<Spilled> {
    if (this.file === undefined) {
      const path = join(tmpdir(), `qcs-export-images-${process.pid}-${randomBytes(6).toString('hex')}.json`);
      // wx: never an existing file (or a link planted there); 0600: the findings are nobody else's to read.
      this.file = await open(path, 'wx+', 0o600);
      // Windows refuses to unlink an open file: there it goes at close().
      await unlink(path).catch(() => {
        this.pathToRemove = path;
      });
    }
    const bytes = Buffer.from(JSON.stringify(image), 'utf8');
    const position = this.end;
    await this.file.write(bytes, 0, bytes.length, position);
    this.end += bytes.length;
    return { position, length: bytes.length };
  }
}
