// Elasticsearch: the sink next to client.helpers.bulk sending the same documents bare, each case in its own process.
// BENCH_ES_CASES chooses the parts (default both):
// - images: docs/s and peak RSS of the sink with image documents into the test server at 200k images
//   (BENCH_ES_DOCS), the server in its own process, fresh per case.
// - findings: finding documents (records: findings) at two batch sizes, BENCH_ES_FINDINGS documents (100k) and a
//   quarter of them, to show memory follows the batch size and not the count; see findingsBench below.
import { fmt, runCase, startServerProcess, table } from './lib.mjs';

const parts = (process.env.BENCH_ES_CASES ?? 'images,findings').split(',');
const startServer = () => startServerProcess('es-server.mjs', {});

if (parts.includes('images')) await imagesBench();
if (parts.includes('findings')) {
  if (parts.includes('images')) console.log('');
  await findingsBench();
}

async function imagesBench() {
  const total = Number(process.env.BENCH_ES_DOCS ?? 200_000);
  const rows = [['documents', 'case', 'docs/s', 'wall', 'peak RSS', 'written', 'vs bare']];
  const results = {};
  const small = Math.round(total / 4);
  for (const [key, kind, count] of [
    ['sink', 'sink', total],
    ['helpers-bulk', 'helpers-bulk', total],
    ['sink-small', 'sink', small],
  ]) {
    const server = await startServer();
    try {
      results[key] = await runCase('elasticsearch.mjs', [kind, count, server.url]);
    } finally {
      await server.stop();
    }
  }
  const bare = results['helpers-bulk'];
  for (const [kind, label] of [
    ['sink', 'qcs-export Elasticsearch sink (_id = sha, template, refresh)'],
    ['helpers-bulk', 'bare client.helpers.bulk (same docs, concurrency 2, 5 MB)'],
  ]) {
    const r = results[kind];
    rows.push([fmt.n(total), label, fmt.n(r.perSecond), fmt.s(r.seconds), fmt.mb(r.maxRssMB), fmt.n(r.written), fmt.x(r.seconds / bare.seconds)]);
  }
  const r = results['sink-small'];
  rows.push([fmt.n(small), 'qcs-export Elasticsearch sink', fmt.n(r.perSecond), fmt.s(r.seconds), fmt.mb(r.maxRssMB), fmt.n(r.written), '']);
  table(rows);
  console.log(`\nSink peak RSS: ${fmt.mb(r.maxRssMB)} at ${fmt.n(small)} documents, ${fmt.mb(results['sink'].maxRssMB)} at ${fmt.n(total)}.`);
  console.log(
    '\nThe test server is a loopback Node process that parses every bulk body and checks each document against its mapping; a real cluster is slower.',
  );
}

/**
 * Finding documents, built as the sink builds them, sent by the sink (with a run id, as a scheduled run sends them, so
 * fixed findings are removed as it goes) and by helpers.bulk with the same flushBytes and concurrency (2). On a shared
 * machine one run proves little, so the two alternate for BENCH_ES_ROUNDS rounds (3) and the table shows medians, and
 * the ratio is the median of each round's ratio. The target is the test server (fresh per case), or the node at
 * ELASTICSEARCH_URL (with ELASTICSEARCH_API_KEY when set; each case deletes its index). BENCH_ES_FLUSH_MB chooses the
 * batch sizes (1,5).
 */
async function findingsBench() {
  const total = Number(process.env.BENCH_ES_FINDINGS ?? 100_000);
  const small = Math.round(total / 4);
  const rounds = Number(process.env.BENCH_ES_ROUNDS ?? 3);
  const flushes = (process.env.BENCH_ES_FLUSH_MB ?? '1,5').split(',').map((mb) => Number(mb) * 1_000_000);
  const real = process.env.ELASTICSEARCH_URL;
  const run = async (kind, count, flushBytes, nodeFlags = []) => {
    const server = real ? undefined : await startServer();
    try {
      const r = await runCase('elasticsearch-findings.mjs', [kind, count, flushBytes, real ?? server.url], nodeFlags);
      if (r.counted !== r.written) console.error(`${kind}: ${r.written} documents acknowledged but ${r.counted} in the index`);
      return r;
    } finally {
      await server?.stop();
    }
  };
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const LABELS = {
    sink: 'qcs-export sink, records: findings',
    'sink-no-run-id': 'the same sink without a run id (no fixed-finding removal)',
    'helpers-bulk': 'client.helpers.bulk, same documents',
  };
  const rows = [['flushBytes', 'documents', 'case', 'docs/s', 'MB/s', 'wall', 'client CPU', 'peak heap', 'peak RSS', 'sink / helpers.bulk']];
  const memory = [];
  for (const flushBytes of flushes) {
    const results = { sink: [], 'sink-no-run-id': [], 'helpers-bulk': [] };
    const ratios = { sink: [], 'sink-no-run-id': [] };
    for (let round = 0; round < rounds; round++) {
      // Alternating who goes first, so a machine that gets busier during a round favours neither.
      const order = round % 2 === 0 ? ['sink', 'helpers-bulk', 'sink-no-run-id'] : ['helpers-bulk', 'sink', 'sink-no-run-id'];
      const got = {};
      for (const kind of order) {
        got[kind] = await run(kind, total, flushBytes);
        results[kind].push(got[kind]);
        console.error(`${fmt.mb(flushBytes / 2 ** 20)} round ${round + 1} ${kind}: ${fmt.n(got[kind].perSecond)} docs/s`);
      }
      for (const kind of Object.keys(ratios)) ratios[kind].push(got[kind].perSecond / got['helpers-bulk'].perSecond);
    }
    for (const kind of ['sink', 'sink-no-run-id', 'helpers-bulk']) {
      const rs = results[kind];
      const m = (field) => median(rs.map((r) => r[field]));
      rows.push([
        `${flushBytes / 1_000_000} MB`,
        fmt.n(m('written')),
        LABELS[kind],
        fmt.n(m('perSecond')),
        m('mbPerSecond').toFixed(1),
        fmt.s(m('seconds')),
        fmt.s(m('cpuSeconds')),
        fmt.mb(m('peakHeapMB')),
        fmt.mb(m('maxRssMB')),
        ratios[kind] ? `${fmt.x(median(ratios[kind]))} (${ratios[kind].map((x) => x.toFixed(2)).join(', ')})` : '',
      ]);
    }
    // What each holds at once, at a quarter of the documents and at all of them: the same batch size must hold the same.
    for (const kind of ['sink', 'helpers-bulk']) {
      const [few, all] = [await run(kind, small, flushBytes, ['--expose-gc']), await run(kind, total, flushBytes, ['--expose-gc'])];
      memory.push([`${flushBytes / 1_000_000} MB`, LABELS[kind], ...[few, all].map((r) => `${fmt.mb(r.peakHeapMB)} at ${fmt.n(r.written)}`)]);
    }
  }
  console.log(`Finding documents into ${real ? `the node at ${new URL(real).origin}` : 'the test server'}, concurrency 2, medians of ${rounds} rounds:\n`);
  table(rows);
  console.log('');
  table([['flushBytes', 'case', 'heap held, fewer documents', 'heap held, all documents'], ...memory]);
  console.log(
    '\nPeak heap: process.memoryUsage().heapUsed sampled every 5 ms, garbage included (how far V8 lets the heap grow). Heap held: the same' +
      ' sampled right after a forced full collection every 100 ms (node --expose-gc, runs apart from the timed ones), what the process keeps' +
      ' at once. Every case holds a pool of 500 images with their findings (about 53 MB) that it makes its pages from.',
  );
}
