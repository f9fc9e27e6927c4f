import type { RawImage } from './data.js';
import { hashString } from '@qcs-export/test-fixtures';
import type { Bounds, ParsedFilter } from './qql.js';

/** What every stored record has: a sha (its key) and a uuid (its tie order, and what a bulk cursor excludes). */
export interface KeyedRecord {
  sha: string;
  uuid: string;
}

/** How one resource sorts: the numeric value of each sort field, and which fields keep a sorted index. */
export interface SortSpec<T, S extends string> {
  values: Record<S, (r: T) => number>;
  /** Fields kept in a sorted index, so keyset queries skip straight to their lower bound. */
  indexed: readonly S[];
}

export interface QueryResult<T = RawImage> {
  items: T[];
  count: number;
}

// uuids are unique, so a uuid order has no ties and one key is enough.
const byUuid = (a: KeyedRecord, b: KeyedRecord) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

/**
 * A resource's records (images, containers) with sorted indexes. Ties in a sort key are ordered by uuid, so the
 * order is stable across requests (the real API's tie order is not documented; a stable one is the friendlier
 * reading), unless a query passes a `tieSeed`: then each run of equal keys is shuffled by that seed, as a server
 * without a tie-breaker. Sorting by `uuid` is the order of a server that ignores `sort`.
 */
export class RecordStore<T extends KeyedRecord, S extends string = string> {
  private readonly bySha = new Map<string, T>();
  private readonly indexes = new Map<S | 'uuid', T[]>();
  private dirty = true;

  constructor(
    records: T[],
    private readonly sort: SortSpec<T, S>,
  ) {
    for (const record of records) this.bySha.set(record.sha, record);
  }

  get size(): number {
    return this.bySha.size;
  }

  all(): T[] {
    return [...this.bySha.values()];
  }

  get(sha: string): T | undefined {
    return this.bySha.get(sha);
  }

  add(record: T): void {
    this.bySha.set(record.sha, record);
    this.dirty = true;
  }

  remove(sha: string): void {
    this.bySha.delete(sha);
    this.dirty = true;
  }

  /** Call after changing a sort key of a stored record. */
  touched(): void {
    this.dirty = true;
  }

  query(filter: ParsedFilter<T> | undefined, sort: S | 'uuid', descending: boolean, offset: number, limit: number, tieSeed?: number): QueryResult<T> {
    const index = this.sorted(sort);
    let lo = 0;
    let hi = index.length;
    const bounds = sort === 'uuid' ? undefined : filter?.bounds.get(sort);
    if (bounds && sort !== 'uuid' && this.sort.indexed.includes(sort)) [lo, hi] = this.range(index, this.sort.values[sort], bounds);
    const items: T[] = [];
    let count = 0;
    const wanted = offset + limit;
    const take = (record: T) => {
      if (count >= offset && count < wanted) items.push(record);
      count++;
    };
    const key = sort === 'uuid' || tieSeed === undefined ? undefined : this.sort.values[sort];
    for (let k = 0; k < hi - lo; ) {
      const at = (n: number) => index[descending ? hi - 1 - n : lo + n] as T;
      if (!key) {
        const record = at(k++);
        if (!filter || filter.test(record)) take(record);
        continue;
      }
      // One run of equal keys, matched, then put in the order this seed gives.
      const value = key(at(k));
      const run: T[] = [];
      for (; k < hi - lo && key(at(k)) === value; k++) if (!filter || filter.test(at(k))) run.push(at(k));
      if (run.length > 1) run.sort((a, b) => hashString(a.uuid, tieSeed as number) - hashString(b.uuid, tieSeed as number));
      run.forEach(take);
    }
    return { items, count };
  }

  private sorted(field: S | 'uuid'): T[] {
    if (this.dirty) {
      this.indexes.clear();
      this.dirty = false;
    }
    let index = this.indexes.get(field);
    if (!index) {
      const all = [...this.bySha.values()];
      if (field === 'uuid') index = all.sort(byUuid);
      else {
        const value = this.sort.values[field];
        index = all.sort((a, b) => value(a) - value(b) || byUuid(a, b));
      }
      this.indexes.set(field, index);
    }
    return index;
  }

  private range(index: T[], value: (r: T) => number, b: Bounds): [number, number] {
    const lowerBound = (pred: (v: number) => boolean) => {
      let l = 0;
      let h = index.length;
      while (l < h) {
        const m = (l + h) >>> 1;
        if (pred(value(index[m] as T))) h = m;
        else l = m + 1;
      }
      return l;
    };
    const lo = b.min === undefined ? 0 : lowerBound((v) => (b.minInclusive ? v >= (b.min as number) : v > (b.min as number)));
    const hi = b.max === undefined ? index.length : lowerBound((v) => (b.maxInclusive ? v > (b.max as number) : v >= (b.max as number)));
    return [lo, Math.max(lo, hi)];
  }
}

export type SortField = 'created' | 'updated' | 'lastScanned' | 'riskScore';
/** A sort field, or `uuid`: the order of a server that ignores `sort`. */
export type OrderField = SortField | 'uuid';

/** How /images sorts. */
export const IMAGE_SORT: SortSpec<RawImage, SortField> = {
  values: {
    created: (i) => Number(i.created),
    updated: (i) => Number(i.updated),
    lastScanned: (i) => (i.lastVmScanDate === null ? -Infinity : Number(i.lastVmScanDate)),
    riskScore: (i) => i.riskScore ?? -Infinity,
  },
  indexed: ['created', 'updated'],
};

/** The simulator's images. */
export class ImageStore extends RecordStore<RawImage, SortField> {
  constructor(images: RawImage[]) {
    super(images, IMAGE_SORT);
  }
}
