/**
 * The set of image shas delivered so far in one run, which is what makes "exactly once" checkable whatever the
 * server does (a record repeated in one page, an image returned again after a rescan moved it). It is the one
 * structure that grows with the export, so it stores each 256-bit sha as eight 32-bit words in a flat
 * open-addressed table kept at most half full: 33–66 bytes per image (100,000 images ≈ 6 MB) instead of ~120 bytes
 * for a Set of 64-character strings. All 256 bits are compared, so shas that differ only in their last digit (as
 * a test server's may) stay distinct. Keys that are not 64 hex characters go to an ordinary Set.
 */
export class ShaSet {
  private words = new Uint32Array(WORDS * 1024);
  private used = new Uint8Array(1024);
  private slots = 1024;
  private hexCount = 0;
  private readonly other = new Set<string>();

  get size(): number {
    return this.hexCount + this.other.size;
  }

  /** Adds the sha; returns false when it was already there. */
  add(sha: string): boolean {
    const key = parseSha(sha);
    if (key === undefined) {
      if (this.other.has(sha)) return false;
      this.other.add(sha);
      return true;
    }
    if ((this.hexCount + 1) * 2 > this.slots) this.grow();
    return this.insert(key);
  }

  has(sha: string): boolean {
    const key = parseSha(sha);
    if (key === undefined) return this.other.has(sha);
    return this.find(key) >= 0;
  }

  private insert(key: Uint32Array): boolean {
    const mask = this.slots - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.words.set(key, i * WORDS);
        this.hexCount++;
        return true;
      }
      if (this.equalAt(i, key)) return false;
    }
  }

  private find(key: Uint32Array): number {
    const mask = this.slots - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      if (this.used[i] === 0) return -1;
      if (this.equalAt(i, key)) return i;
    }
  }

  private equalAt(slot: number, key: Uint32Array): boolean {
    const w = this.words;
    const o = slot * WORDS;
    for (let k = 0; k < WORDS; k++) if (w[o + k] !== key[k]) return false;
    return true;
  }

  private grow(): void {
    const oldWords = this.words;
    const oldUsed = this.used;
    const oldSlots = this.slots;
    this.slots *= 2;
    this.words = new Uint32Array(WORDS * this.slots);
    this.used = new Uint8Array(this.slots);
    this.hexCount = 0;
    for (let i = 0; i < oldSlots; i++) if (oldUsed[i] === 1) this.insert(oldWords.subarray(i * WORDS, i * WORDS + WORDS));
  }
}

const WORDS = 8;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const scratch = new Uint32Array(WORDS);

function parseSha(sha: string): Uint32Array | undefined {
  if (!HEX64.test(sha)) return undefined;
  for (let k = 0; k < WORDS; k++) scratch[k] = Number.parseInt(sha.slice(k * 8, k * 8 + 8), 16) >>> 0;
  return scratch;
}

function hash(key: Uint32Array): number {
  // A real sha is uniformly distributed, but a test server's may differ only in its last digits: mix every word.
  let h = 0x811c9dc5;
  for (let k = 0; k < WORDS; k++) h = Math.imul(h ^ (key[k] as number), 0x01000193) ^ (h >>> 13);
  return (h ^ (h >>> 16)) >>> 0;
}
