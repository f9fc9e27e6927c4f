import type { RawImage } from './data.js';
import { hashString } from '@qcs-export/test-fixtures';
import type { Bounds, ParsedFilter } from './qql.js';

export type SortField = 'created' | 'updated' | 'lastScanned' | 'riskScore';
/** A sort field, or `uuid`: the order of a server that ignores `sort`. */
export type OrderField = SortField | 'uuid';
const SORT_VALUE: Record<SortField, (i: RawImage) => number> = {
  created: (i) => Number(i.created),
  updated: (i) => Number(i.updated),
  lastScanned: (i) => (i.lastVmScanDate === null ? -Infinity : Number(i.lastVmScanDate)),
  riskScore: (i) => i.riskScore ?? -Infinity,
};
// uuids are unique, so a uuid order has no ties and one key is enough.
const byUuid = (a: RawImage, b: RawImage) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
/** Fields kept in a sorted index, so keyset queries skip straight to their lower bound. */
const INDEXED: readonly SortField[] = ['created', 'updated'];

export interface QueryResult {
  items: RawImage[];
  count: number;
}

/**
 * The simulator's images with sorted indexes. Ties in a sort key are ordered by uuid, so the order is stable
 * across requests (the real API's tie order is not documented; a stable one is the friendlier reading), unless a
 * query passes a `tieSeed`: then each run of equal keys is shuffled by that seed, as a server without a tie-breaker.
 */
export class ImageStore {
  private readonly bySha = new Map<string, RawImage>();
  private readonly indexes = new Map<OrderField, RawImage[]>();
  private dirty = true;

  constructor(images: RawImage[]) {
    for (const image of images) this.bySha.set(image.sha, image);
  }

  get size(): number {
    return this.bySha.size;
  }

  all(): RawImage[] {
    return [...this.bySha.values()];
  }

  get(sha: string): RawImage | undefined {
    return this.bySha.get(sha);
  }

  add(image: RawImage): void {
    this.bySha.set(image.sha, image);
    this.dirty = true;
  }

  remove(sha: string): void {
    this.bySha.delete(sha);
    this.dirty = true;
  }

  /** Call after changing a sort key of a stored image. */
  touched(): void {
    this.dirty = true;
  }

  query(filter: ParsedFilter | undefined, sort: OrderField, descending: boolean, offset: number, limit: number, tieSeed?: number): QueryResult {
    const index = this.sorted(sort);
    let lo = 0;
    let hi = index.length;
    const bounds = sort === 'uuid' ? undefined : filter?.bounds.get(sort);
    if (bounds && sort !== 'uuid' && INDEXED.includes(sort)) [lo, hi] = this.range(index, SORT_VALUE[sort], bounds);
    const items: RawImage[] = [];
    let count = 0;
    const wanted = offset + limit;
    const take = (image: RawImage) => {
      if (count >= offset && count < wanted) items.push(image);
      count++;
    };
    const key = sort === 'uuid' || tieSeed === undefined ? undefined : SORT_VALUE[sort];
    for (let k = 0; k < hi - lo; ) {
      const at = (n: number) => index[descending ? hi - 1 - n : lo + n] as RawImage;
      if (!key) {
        const image = at(k++);
        if (!filter || filter.test(image)) take(image);
        continue;
      }
      // One run of equal keys, matched, then put in the order this seed gives.
      const value = key(at(k));
      const run: RawImage[] = [];
      for (; k < hi - lo && key(at(k)) === value; k++) if (!filter || filter.test(at(k))) run.push(at(k));
      if (run.length > 1) run.sort((a, b) => hashString(a.uuid, tieSeed as number) - hashString(b.uuid, tieSeed as number));
      run.forEach(take);
    }
    return { items, count };
  }

  private sorted(field: OrderField): RawImage[] {
    if (this.dirty) {
      this.indexes.clear();
      this.dirty = false;
    }
    let index = this.indexes.get(field);
    if (!index) {
      const all = [...this.bySha.values()];
      if (field === 'uuid') index = all.sort(byUuid);
      else {
        const value = SORT_VALUE[field];
        index = all.sort((a, b) => value(a) - value(b) || byUuid(a, b));
      }
      this.indexes.set(field, index);
    }
    return index;
  }

  private range(index: RawImage[], value: (i: RawImage) => number, b: Bounds): [number, number] {
    const lowerBound = (pred: (v: number) => boolean) => {
      let l = 0;
      let h = index.length;
      while (l < h) {
        const m = (l + h) >>> 1;
        if (pred(value(index[m] as RawImage))) h = m;
        else l = m + 1;
      }
      return l;
    };
    const lo = b.min === undefined ? 0 : lowerBound((v) => (b.minInclusive ? v >= (b.min as number) : v > (b.min as number)));
    const hi = b.max === undefined ? index.length : lowerBound((v) => (b.maxInclusive ? v > (b.max as number) : v >= (b.max as number)));
    return [lo, Math.max(lo, hi)];
  }
}
