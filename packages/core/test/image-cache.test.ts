import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ImageCache, normalizeImage, type ImageRecord } from '../src/index.js';

// Issue 21: the images a container run looked up, kept so each is fetched once, in memory bounded by images and
// findings, the rest in a spill file nobody else can open.
function image(n: number, findings: number): ImageRecord {
  return normalizeImage(
    {
      sha: n.toString(16).padStart(64, '0'),
      repo: [{ registry: 'docker.io', repository: `team/app-${n}`, tag: '1.0' }],
      vulnerabilities: Array.from({ length: findings }, (_, q) => ({ qid: 1000 + q, severity: (q % 5) + 1, title: `finding ${q} of image ${n}` })),
    },
    'images/details',
  );
}

const spillFiles = async () => (await readdir(tmpdir())).filter((f) => f.startsWith(`qcs-export-images-${process.pid}-`));

describe('ImageCache', () => {
  it('gives back every image whole, from memory or from the spill file, while many are set and read at once', async () => {
    const cache = new ImageCache(3, 50);
    const images = Array.from({ length: 60 }, (_, n) => image(n, n % 7 === 0 ? 40 : 5));
    // Set concurrently, as lookups that end together do: no spill may overwrite another.
    await Promise.all(images.map((i) => cache.set(i.sha, i)));
    await cache.set('gone'.padEnd(64, '0'), null);
    const back = await Promise.all(images.map((i) => cache.get(i.sha)));
    expect(back).toEqual(images);
    expect(await cache.get('gone'.padEnd(64, '0'))).toBeNull();
    expect(await cache.get('f'.repeat(64))).toBeUndefined();
    expect(cache.size).toBe(61);
    expect(cache.rereads).toBeGreaterThan(50);
    // The spill file was unlinked as soon as it was open: nothing of it is visible, before or after close.
    expect(await spillFiles()).toEqual([]);
    await cache.close();
    expect(await spillFiles()).toEqual([]);
  });

  it('an image read while it is being written out is found, not taken for one never looked up', async () => {
    const cache = new ImageCache(1, 1_000);
    const first = image(1, 3);
    const second = image(2, 3);
    await cache.set(first.sha, first);
    const writing = cache.set(second.sha, second); // pushes the first out to the spill file
    expect(cache.has(first.sha)).toBe(true);
    expect(await cache.get(first.sha)).toEqual(first);
    await writing;
    await cache.close();
  });
});
