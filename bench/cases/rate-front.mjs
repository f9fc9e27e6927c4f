// The independent rate-limited front (../rate-front.mjs) alone in a process, in front of a simulator started with
// rateLimit: false in another process, so the simulator's work never delays the moment a call is counted: prints
// {url} of the front and serves until SIGTERM.
// args: JSON {upstream, buckets, latencyBeforeMs, latencyAfterMs, jitterMs, traceCalls}
import { startRateFront } from '../rate-front.mjs';

const front = await startRateFront(JSON.parse(process.argv[2] ?? '{}'));
console.log(JSON.stringify({ url: front.url }));
process.on('SIGTERM', async () => {
  await front.close();
  process.exit(0);
});
