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
  /** Where each image written out is, once its write has ended; null for an image that is gone. */
  private readonly spilled = new Map<string, Promise<Spilled> | null>();
  private opening: Promise<FileHandle> | undefined;
  private file: FileHandle | undefined;
  private end = 0;
  private pathToRemove: string | undefined;
  /** Images read back from the spill file. */
  rereads = 0;

  private findingsInMemory = 0;

  /**
   * @param inMemory images kept in memory at most
   * @param maxFindings findings kept in memory at most, over all of them: an image with thousands of findings counts
   *   for what it holds, so memory is bounded by findings, not by a number of images of any size
   */
  constructor(
    private readonly inMemory = 256,
    private readonly maxFindings = 20_000,
  ) {}

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
    const written = this.spilled.get(sha);
    if (written === undefined) return undefined;
    if (written === null) return null;
    const at = await written;
    const buffer = Buffer.alloc(at.length);
    await (this.file as FileHandle).read(buffer, 0, at.length, at.position);
    this.rereads++;
    return JSON.parse(buffer.toString('utf8')) as ImageRecord;
  }

  async set(sha: string, image: ImageRecord | null): Promise<void> {
    this.recent.set(sha, image);
    this.findingsInMemory += findingsOf(image);
    while (this.recent.size > 1 && (this.recent.size > this.inMemory || this.findingsInMemory > this.maxFindings)) {
      const [oldest, record] = this.recent.entries().next().value as [string, ImageRecord | null];
      this.recent.delete(oldest);
      this.findingsInMemory -= findingsOf(record);
      // Entered before the write ends, so a lookup meanwhile waits for it instead of missing the image.
      const written = record === null ? null : this.spill(record);
      this.spilled.set(oldest, written);
      await written;
    }
  }

  /** Closes the spill file, which the system then removes. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.spilled.values()]);
    await this.opening?.catch(() => undefined);
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    if (this.pathToRemove !== undefined) await unlink(this.pathToRemove).catch(() => undefined);
  }

  private async spill(image: ImageRecord): Promise<Spilled> {
    // Its place is taken before any wait, so concurrent spills never write over each other.
    const bytes = Buffer.from(JSON.stringify(image), 'utf8');
    const position = this.end;
    this.end += bytes.length;
    this.opening ??= this.create();
    const file = await this.opening;
    await file.write(bytes, 0, bytes.length, position);
    return { position, length: bytes.length };
  }

  private async create(): Promise<FileHandle> {
    const path = join(tmpdir(), `qcs-export-images-${process.pid}-${randomBytes(6).toString('hex')}.json`);
    // wx: never an existing file (or a link planted there); 0600: the findings are nobody else's to read.
    const file = await open(path, 'wx+', 0o600);
    this.file = file;
    // Windows refuses to unlink an open file: there it goes at close().
    await unlink(path).catch(() => {
      this.pathToRemove = path;
    });
    return file;
  }
}

const findingsOf = (image: ImageRecord | null): number => image?.vulnerabilities?.length ?? 0;
