import type { RawImage } from './data.js';
import type { Bounds, ParsedFilter } from './qql.js';

export type SortField = 'created' | 'updated' | 'lastScanned' | 'riskScore';
const SORT_VALUE: Record<SortField, (i: RawImage) => number> = {
  created: (i) => Number(i.created),
  updated: (i) => Number(i.updated),
  lastScanned: (i) => (i.lastVmScanDate === null ? -Infinity : Number(i.lastVmScanDate)),
  riskScore: (i) => i.riskScore ?? -Infinity,
};
/** Fields kept in a sorted index, so keyset queries skip straight to their lower bound. */
const INDEXED: readonly SortField[] = ['created', 'updated'];

export interface QueryResult {
  items: RawImage[];
  count: number;
}

/**
 * The simulator's images with sorted indexes. Ties in a sort key are ordered by uuid, so the order is stable
 * across requests (the real API's tie order is not documented; a stable one is the friendlier reading).
 */
export class ImageStore {
  private readonly bySha = new Map<string, RawImage>();
  private readonly indexes = new Map<SortField, RawImage[]>();
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

  query(filter: ParsedFilter | undefined, sort: SortField, descending: boolean, offset: number, limit: number): QueryResult {
    const index = this.sorted(sort);
    let lo = 0;
    let hi = index.length;
    const bounds = filter?.bounds.get(sort);
    if (bounds && INDEXED.includes(sort)) [lo, hi] = this.range(index, SORT_VALUE[sort], bounds);
    const items: RawImage[] = [];
    let count = 0;
    const wanted = offset + limit;
    for (let k = 0; k < hi - lo; k++) {
      const image = index[descending ? hi - 1 - k : lo + k] as RawImage;
      if (filter && !filter.test(image)) continue;
      if (count >= offset && count < wanted) items.push(image);
      count++;
    }
    return { items, count };
  }

  private sorted(field: SortField): RawImage[] {
    if (this.dirty) {
      this.indexes.clear();
      this.dirty = false;
    }
    let index = this.indexes.get(field);
    if (!index) {
      const value = SORT_VALUE[field];
      index = [...this.bySha.values()].sort((a, b) => value(a) - value(b) || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
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
