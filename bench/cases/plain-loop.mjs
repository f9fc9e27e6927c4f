// The baseline a one-off script would be: log in, then one page at a time (fetch, write, fetch next), keyset on
// `created` so it can pass the 10,000 cap, bare undici + JSON.stringify, no normalization.
// args: url username password outFile
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { request } from 'undici';
import { report } from '../lib.mjs';

const [url, username, password, out] = process.argv.slice(2);
const started = performance.now();
const login = await request(`${url}/auth`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ username, password, token: 'true' }).toString(),
});
const jwt = await login.body.text();
const file = createWriteStream(out);
let records = 0;
let low;
let seenAtLow = [];
for (;;) {
  const filter = low === undefined ? undefined : `created>=${low}${seenAtLow.length ? ` and not uuid: [${seenAtLow.join(', ')}]` : ''}`;
  const qs = new URLSearchParams({ sort: 'created:asc', pageNumber: '1', pageSize: '1000', ...(filter ? { filter } : {}) });
  const res = await request(`${url}/csapi/v1.3/images?${qs}`, { headers: { authorization: `Bearer ${jwt}` } });
  if (res.statusCode === 204) {
    await res.body.dump();
    break;
  }
  const { data } = await res.body.json();
  const text = data.map((r) => JSON.stringify(r)).join('\n') + (data.length ? '\n' : '');
  if (!file.write(text)) await once(file, 'drain');
  records += data.length;
  if (data.length < 1000) break;
  const last = Number(data[data.length - 1].created);
  const tail = data.filter((r) => Number(r.created) === last).map((r) => r.uuid);
  seenAtLow = last === low ? seenAtLow.concat(tail) : tail;
  low = last;
}
file.end();
await once(file, 'finish');
report(records, started);
