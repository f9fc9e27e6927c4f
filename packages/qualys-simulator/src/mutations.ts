import { makeImage, type RawImage } from './data.js';
import type { Random } from '@qcs-export/test-fixtures';
import type { ImageStore } from './store.js';

/** What changed the data set since the start, for tests to check against. */
export interface MutationStats {
  updates: number;
  adds: number;
  removes: number;
}

/** Rescans, new images and deletions, as happen on a live subscription while an export runs. */
export class Mutations {
  constructor(
    private readonly store: ImageStore,
    private readonly random: Random,
    private readonly stats: MutationStats,
  ) {}

  /** `count` random images are rescanned: each gets a new, newest `updated`. */
  update(count: number): string[] {
    const all = this.store.all();
    if (all.length === 0) return [];
    let clock = this.clock(all);
    const shas: string[] = [];
    for (let k = 0; k < count; k++) {
      const image = all[this.random.int(0, all.length - 1)] as RawImage;
      image.updated = String(clock++);
      image.lastVmScanDate = image.updated;
      shas.push(image.sha);
    }
    this.stats.updates += shas.length;
    this.store.touched();
    return shas;
  }

  /** `count` new images, created about now and updated at the newest instant (after every earlier update). */
  add(count: number): string[] {
    let clock = this.clock(this.store.all());
    const shas = Array.from({ length: count }, (_, k) => {
      const image = makeImage(this.random, this.store.size + k, Date.now() - this.random.int(0, 1000), Date.now(), false);
      image.updated = String(clock++);
      if (image.lastVmScanDate !== null) image.lastVmScanDate = image.updated;
      this.store.add(image);
      return image.sha;
    });
    this.stats.adds += shas.length;
    return shas;
  }

  /** `count` random images (all, if fewer) are deleted. */
  remove(count: number): string[] {
    const all = this.store.all();
    const shas = Array.from({ length: Math.min(count, all.length) }, () => {
      const image = all.splice(this.random.int(0, all.length - 1), 1)[0] as RawImage;
      this.store.remove(image.sha);
      return image.sha;
    });
    this.stats.removes += shas.length;
    return shas;
  }

  /** The image with this sha is deleted (nothing happens when there is none). */
  removeSha(sha: string): void {
    if (!this.store.get(sha)) return;
    this.store.remove(sha);
    this.stats.removes++;
  }

  /**
   * The next `updated` to hand out: now, or just past the newest value if earlier updates ran ahead of the clock.
   * A real server's `updated` never goes backwards, so a keyset cursor always sees what changed after it.
   */
  private clock(all: readonly RawImage[]): number {
    let newest = Date.now();
    for (const i of all) newest = Math.max(newest, Number(i.updated) + 1);
    return newest;
  }
}
