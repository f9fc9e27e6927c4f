import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  ConfigError,
  findingKey,
  fixedFinding,
  type FindingLine,
  type FindingRecord,
  type ImageLine,
  type ImageRecord,
  type RunComparison,
} from '@qcs-export/core';
import type { Config } from '../config/schema.js';
import { digestFile } from './file-digest.js';
import { type FindingsFileEntry, subscriptionOf } from './findings-file.js';

/** What a compared run found, for the summary, --json and its manifest. */
export interface ComparisonReport {
  /** The manifest compared with, and its run. */
  manifest: string;
  previousRunId: string | null;
  previousStartedAt: string | null;
  /** Findings (image × QID) of this run not in the previous one, in both, and in the previous one only. */
  new: number;
  open: number;
  fixed: number;
  /** Images the previous run exported that this one did not, by sha. */
  imagesGone: number;
  goneImages: string[];
}

/** The first 8 bytes of a finding key (sha256 hex) as a number. */
const HEX64 = (hex: string): bigint => BigInt(`0x${hex.slice(0, 16)}`);
/** An image sha's first 8 bytes of its SHA-256, whatever form the sha takes. */
const IMAGE64 = (sha: string): bigint => HEX64(createHash('sha256').update(sha).digest('hex'));

/**
 * The run this one is compared with (`run --compare-to MANIFEST`), held compactly: the first 8 bytes of each of its
 * finding keys and image shas, sorted (8 bytes each), and a bit each for "seen in this run". Its findings file is
 * read once to load them and once at the end, for the findings and images that are gone, so memory does not grow
 * with the findings' text.
 */
export class PreviousRun implements RunComparison {
  private readonly findingSeen: Uint8Array;
  private readonly imageSeen: Uint8Array;
  private counts = { new: 0, open: 0 };

  private constructor(
    readonly manifestPath: string,
    private readonly filePath: string,
    private readonly entry: FindingsFileEntry & { sha256: string },
    private readonly findingKeys: BigUint64Array,
    private readonly imageKeys: BigUint64Array,
    readonly previousRunId: string | null,
    readonly previousStartedAt: string | null,
  ) {
    this.findingSeen = new Uint8Array(Math.ceil(findingKeys.length / 8));
    this.imageSeen = new Uint8Array(Math.ceil(imageKeys.length / 8));
  }

  /**
   * Reads the manifest given to --compare-to (or run.compareTo) and its findings file, and checks they are of a run
   * this one can be compared with: a committed run that kept its findings, with the same subscription and filter.
   * Anything else is a config error, before the run asks Qualys for anything.
   */
  static async load(path: string, config: Config, setting: string): Promise<PreviousRun> {
    const fail = (what: string, hint: string) => new ConfigError(`${setting} ${path}: ${what}`, { hint });
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw fail(e.code === 'ENOENT' ? 'no such file' : `cannot be read (${e.code ?? e.message})`, 'give the audit manifest of the run to compare with');
    });
    let manifest: { runId?: unknown; startedAt?: unknown; findings?: unknown };
    try {
      manifest = JSON.parse(text) as typeof manifest;
    } catch (e) {
      throw fail(`is not an audit manifest (${(e as Error).message})`, 'give the audit manifest of the run to compare with');
    }
    const entry = manifest?.findings as Partial<FindingsFileEntry> | undefined;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.file !== 'string' ||
      typeof entry.sha256 !== 'string' ||
      !isCount(entry.findings) ||
      !isCount(entry.images) ||
      typeof entry.subscription !== 'object'
    ) {
      throw fail(
        'names no findings file',
        'only a full run with source.vulnerabilities and a manifest that committed its outputs keeps its findings: compare with the manifest of such a run',
      );
    }
    const known = entry as FindingsFileEntry & { sha256: string };
    const ours = subscriptionOf(config.source);
    const theirs = known.subscription;
    if (theirs.target !== ours.target || theirs.user !== ours.user) {
      throw fail(
        `is of another subscription (${describe(theirs)}; this run reads ${describe(ours)})`,
        'compare with a manifest of a run of the same subscription and user',
      );
    }
    const filter = config.source.filter ?? null;
    if ((known.filter ?? null) !== filter) {
      const shown = (f: string | null | undefined) => (f === null || f === undefined ? 'none' : JSON.stringify(f));
      throw fail(
        `is of a run with another filter (${shown(known.filter)}; this run's is ${shown(filter)})`,
        'compare with a manifest of a run with the same source.filter',
      );
    }
    const filePath = resolve(dirname(path), known.file);
    const digest = await digestFile(filePath);
    if (!digest) throw fail(`its findings file ${filePath} is missing`, 'keep the findings file beside its manifest, or compare with another run');
    if (digest.sha256 !== known.sha256) {
      throw fail(
        `its findings file ${filePath} is not the one the manifest names (SHA-256 ${digest.sha256}, the manifest says ${known.sha256})`,
        'the file was changed or replaced since its run: compare with another run',
      );
    }
    const findingKeys = new BigUint64Array(known.findings);
    const imageKeys = new BigUint64Array(known.images);
    let findings = 0;
    let images = 0;
    try {
      for await (const line of linesOf(filePath)) {
        if ('image' in line) {
          if (images < imageKeys.length) imageKeys[images] = IMAGE64(line.image);
          images++;
        } else {
          if (findings < findingKeys.length) findingKeys[findings] = HEX64(line.findingKey);
          findings++;
        }
      }
    } catch (e) {
      throw fail(`its findings file ${filePath} cannot be read (${(e as Error).message})`, 'compare with another run');
    }
    if (findings !== known.findings || images !== known.images) {
      throw fail(
        `its findings file ${filePath} holds ${findings} findings and ${images} images, the manifest says ${known.findings} and ${known.images}`,
        'compare with another run',
      );
    }
    findingKeys.sort();
    imageKeys.sort();
    const text_ = (v: unknown) => (typeof v === 'string' ? v : null);
    return new PreviousRun(path, filePath, known, findingKeys, imageKeys, text_(manifest.runId), text_(manifest.startedAt));
  }

  changeOf(sha: string, qid: number): 'new' | 'open' {
    return indexOf(this.findingKeys, HEX64(findingKey(sha, qid))) === -1 ? 'new' : 'open';
  }

  /** Marks an image and its findings (the findings grain's rows) as seen in this run, and counts them. */
  see(image: ImageRecord, rows: readonly FindingRecord[]): void {
    mark(this.imageKeys, this.imageSeen, IMAGE64(image.sha));
    for (const row of rows) {
      if (mark(this.findingKeys, this.findingSeen, HEX64(row.findingKey))) this.counts.open++;
      else this.counts.new++;
    }
  }

  /**
   * Reads the previous findings file again and hands on, in batches, every finding this run did not see as a record
   * whose change is "fixed"; lists the images it did not see. The file must still be the one the manifest names.
   */
  async finish(hand: (rows: readonly FindingRecord[]) => Promise<void>, batchSize = 1000): Promise<ComparisonReport> {
    let fixed = 0;
    const goneImages: string[] = [];
    let batch: FindingRecord[] = [];
    const hash = createHash('sha256');
    const changed = (detail: string) =>
      new ConfigError(`the findings file ${this.filePath} changed while this run was compared with it (${detail})`, { hint: 'run the export again' });
    const lines = linesOf(this.filePath, hash);
    for await (const line of readingOn(lines, changed)) {
      if ('image' in line) {
        if (!isSeen(this.imageKeys, this.imageSeen, IMAGE64(line.image))) goneImages.push(line.image);
        continue;
      }
      if (isSeen(this.findingKeys, this.findingSeen, HEX64(line.findingKey))) continue;
      batch.push(fixedFinding(line));
      fixed++;
      if (batch.length >= batchSize) {
        await hand(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await hand(batch);
    if (hash.digest('hex') !== this.entry.sha256) throw changed('its SHA-256 differs');
    return {
      manifest: this.manifestPath,
      previousRunId: this.previousRunId,
      previousStartedAt: this.previousStartedAt,
      new: this.counts.new,
      open: this.counts.open,
      fixed,
      imagesGone: goneImages.length,
      goneImages,
    };
  }
}

/** A count a manifest may hold: a whole number of at most 2^31 (what one findings file can hold, and what an array takes). */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2 ** 31;
}

function describe(s: { target: string; user: string | null }): string {
  return s.user === null ? s.target : `${s.target} as ${s.user}`;
}

/** The index of a key in a sorted array, or -1. */
function indexOf(keys: BigUint64Array, key: bigint): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = keys[mid] as bigint;
    if (at === key) return mid;
    if (at < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Sets the key's "seen" bit; true when the key is one of the previous run's. */
function mark(keys: BigUint64Array, seen: Uint8Array, key: bigint): boolean {
  const at = indexOf(keys, key);
  if (at === -1) return false;
  seen[at >>> 3] = (seen[at >>> 3] as number) | (1 << (at & 7));
  return true;
}

function isSeen(keys: BigUint64Array, seen: Uint8Array, key: bigint): boolean {
  const at = indexOf(keys, key);
  return at !== -1 && ((seen[at >>> 3] as number) & (1 << (at & 7))) !== 0;
}

/** The lines, with a failure to read or parse them as the error `fail` makes. */
async function* readingOn<T>(lines: AsyncGenerator<T>, fail: (detail: string) => Error): AsyncGenerator<T> {
  try {
    for await (const line of lines) yield line;
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** The lines of a findings file, parsed, read as a stream; `hash` sees the file's bytes as they are read. */
async function* linesOf(path: string, hash?: ReturnType<typeof createHash>): AsyncGenerator<FindingLine | ImageLine> {
  const file = createReadStream(path);
  if (hash) file.on('data', (chunk) => hash.update(chunk as Buffer));
  const text = pipeline(file, createGunzip(), () => undefined);
  // Decoded by the stream, so a character split between two chunks stays whole.
  text.setEncoding('utf8');
  let rest = '';
  for await (const chunk of text) {
    rest += chunk as string;
    let at = rest.indexOf('\n');
    let from = 0;
    while (at !== -1) {
      const line = rest.slice(from, at);
      if (line !== '') yield JSON.parse(line) as FindingLine | ImageLine;
      from = at + 1;
      at = rest.indexOf('\n', from);
    }
    rest = rest.slice(from);
  }
  if (rest.trim() !== '') yield JSON.parse(rest) as FindingLine | ImageLine;
}
