// The floor: JSON.parse of the same pages the server sends plus JSON.stringify of each record to a file, nothing else.
// args: images seed outFile
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { generateImages } from '@qcs-export/qualys-simulator';
import { report } from '../lib.mjs';

const [images, seed, out] = process.argv.slice(2);
const all = generateImages(Number(images), Number(seed));
const bodies = [];
for (let i = 0; i < all.length; i += 1000) bodies.push(JSON.stringify({ data: all.slice(i, i + 1000), count: all.length }));
all.length = 0;
const started = performance.now();
const file = createWriteStream(out);
let records = 0;
for (const body of bodies) {
  const { data } = JSON.parse(body);
  if (!file.write(`${data.map((r) => JSON.stringify(r)).join('\n')}\n`)) await once(file, 'drain');
  records += data.length;
}
file.end();
await once(file, 'finish');
report(records, started, { note: 'holds every page body in memory' });
