import { makeImage, type RawImage } from './data.js';
import type { Random } from '@qcs-export/test-fixtures';
import type { ContainerFactory, RawContainer } from './containers.js';
import type { ImageStore, RecordStore } from './store.js';

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

/** What changed the containers since the start. */
export interface ContainerMutationStats {
  containerUpdates: number;
  containerAdds: number;
  containerRemoves: number;
}

/**
 * Containers changing while an export runs: state changes and restarts, new containers, deletions. Its own random
 * stream, so a run that changes no container sees exactly the image changes it saw before containers existed.
 */
export class ContainerMutations {
  constructor(
    private readonly store: RecordStore<RawContainer>,
    private readonly images: ImageStore,
    private readonly factory: ContainerFactory,
    private readonly random: Random,
    private readonly stats: ContainerMutationStats,
  ) {}

  /** `count` random containers change: each gets a new, newest `updated`; a third change state too (RUNNING → STOPPED, else → RUNNING). */
  update(count: number): string[] {
    const all = this.store.all();
    if (all.length === 0 || count <= 0) return [];
    let clock = newestAfter(all);
    const shas: string[] = [];
    for (let k = 0; k < count; k++) {
      const container = all[this.random.int(0, all.length - 1)] as RawContainer;
      container.updated = String(clock++);
      if (this.random.chance(1 / 3)) {
        container.state = container.state === 'RUNNING' ? 'STOPPED' : 'RUNNING';
        container.stateChanged = container.updated;
      }
      shas.push(container.sha);
    }
    this.stats.containerUpdates += shas.length;
    this.store.touched();
    return shas;
  }

  /** `count` new containers of random images, created about now and updated at the newest instant. */
  add(count: number): string[] {
    const images = this.images.all();
    if (images.length === 0 || count <= 0) return [];
    let clock = newestAfter(this.store.all());
    const shas = Array.from({ length: count }, () => {
      const image = images[this.random.int(0, images.length - 1)] as RawImage;
      const container = this.factory.make(image, Date.now() - this.random.int(0, 1000));
      container.updated = String(clock++);
      container.state = 'RUNNING';
      container.stateChanged = container.created;
      this.store.add(container);
      return container.sha;
    });
    this.stats.containerAdds += shas.length;
    return shas;
  }

  /** `count` random containers (all, if fewer) are deleted. */
  remove(count: number): string[] {
    const all = this.store.all();
    const shas = Array.from({ length: Math.min(Math.max(0, count), all.length) }, () => {
      const container = all.splice(this.random.int(0, all.length - 1), 1)[0] as RawContainer;
      this.store.remove(container.sha);
      return container.sha;
    });
    this.stats.containerRemoves += shas.length;
    return shas;
  }
}

/** Now, or just past the newest `updated`: a real server's `updated` never goes backwards. */
function newestAfter(all: ReadonlyArray<{ updated: string }>): number {
  let newest = Date.now();
  for (const r of all) newest = Math.max(newest, Number(r.updated) + 1);
  return newest;
}
