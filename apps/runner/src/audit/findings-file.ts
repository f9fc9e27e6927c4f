import { basename } from 'node:path';
import { AtomicFileWriter, type FindingRecord, findingLineOf, imageLineOf, type ImageRecord } from '@qcs-export/core';
import { type Config, isSimulatorSource, type SourceConfig } from '../config/schema.js';

/**
 * The findings file of a run: `<manifest without .json>.findings.jsonl.gz` next to its manifest, which names it with its
 * SHA-256. One gzipped JSON line per finding of the run (image × QID: FindingLine) and one per image ({ image,
 * repositories }), so that a later run can be compared with this one (`run --compare-to MANIFEST`). Written as the
 * batches pass, atomically: it is in place only for a committed run.
 */
export function findingsPathOf(manifestPath: string): string {
  return `${manifestPath.replace(/\.json$/i, '')}.findings.jsonl.gz`;
}

/** Which subscription a run read, as a findings file records it: a run is compared only with one of the same. */
export interface Subscription {
  /** The base URL (origin and path, no credentials), or the simulator and its seed. */
  target: string;
  /** The user that logged in; null for a ready token. */
  user: string | null;
}

export function subscriptionOf(source: SourceConfig): Subscription {
  if (isSimulatorSource(source)) return { target: `simulator (seed ${source.simulator.seed})`, user: null };
  const url = new URL(source.baseUrl);
  const auth = source.auth as { username?: string; basic?: { username: string } };
  return { target: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, user: auth.username ?? auth.basic?.username ?? null };
}

/** What the manifest says of a run's findings file. */
export interface FindingsFileEntry {
  /** Its name, relative to the manifest's directory. */
  file: string;
  sha256?: string;
  bytes?: number;
  findings: number;
  images: number;
  subscription: Subscription;
  filter: string | null;
}

export class FindingsFileWriter {
  private findings = 0;
  private images = 0;

  private constructor(
    readonly path: string,
    private readonly file: AtomicFileWriter,
    private readonly config: Config,
  ) {}

  static async open(path: string, config: Config): Promise<FindingsFileWriter> {
    return new FindingsFileWriter(path, await AtomicFileWriter.open(path, { gzip: { level: 6 }, mode: 0o600 }), config);
  }

  /** The lines of one batch, as it passed the sinks: each image, and its findings (rows of the findings grain). */
  async add(batch: ReadonlyArray<readonly [ImageRecord, readonly FindingRecord[]]>): Promise<void> {
    let text = '';
    for (const [image, rows] of batch) {
      text += `${JSON.stringify(imageLineOf(image))}\n`;
      this.images++;
      for (const row of rows) {
        text += `${JSON.stringify(findingLineOf(row))}\n`;
        this.findings++;
      }
    }
    if (text !== '') await this.file.write(text);
  }

  /** Puts the file in place (after every sink published) and says what the manifest records of it. */
  async commit(): Promise<FindingsFileEntry> {
    await this.file.finish();
    const { bytes } = await this.file.commit();
    // It stands beside the manifest, which is written after it: nothing to roll back to, so no backup is kept.
    await this.file.settle();
    return {
      file: basename(this.path),
      bytes,
      findings: this.findings,
      images: this.images,
      subscription: subscriptionOf(this.config.source),
      filter: this.config.source.filter ?? null,
    };
  }

  async abort(): Promise<void> {
    await this.file.abort();
  }
}
