import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auth } from './auth.js';
import type { Context, RequestLogEntry, SimulatorStats } from './context.js';
import { CONTAINER_SORT, ContainerFactory, generateContainers, type RawContainer } from './containers.js';
import { generateImages, type RawImage } from './data.js';
import { FaultQueue, type Fault } from './faults.js';
import { Gate } from './gate.js';
import { errorBody, send } from './http.js';
import { ContainerMutations, Mutations } from './mutations.js';
import type { SimulatorOptions } from './options.js';
import { createRandom } from '@qcs-export/test-fixtures';
import { RateLimiter } from './rate-limit.js';
import { handleRequest } from './request.js';
import { ImageStore, RecordStore } from './store.js';

export type { Fault } from './faults.js';
export type { RateLimitBucket } from './rate-limit.js';
export type { SimulatorOptions } from './options.js';
export type { RequestLogEntry, SimulatorStats } from './context.js';

export interface QualysSimulator {
  readonly url: string;
  readonly port: number;
  readonly credentials: { username: string; password: string };
  readonly staticToken: string;
  readonly stats: SimulatorStats;
  readonly requests: ReadonlyArray<RequestLogEntry>;
  /** The current data set, changes made during a crawl included. */
  images(): ReadonlyArray<RawImage>;
  updateImages(count: number): string[];
  addImages(count: number): string[];
  removeImages(count: number): string[];
  /** The current containers, changes made during a crawl included. */
  containers(): ReadonlyArray<RawContainer>;
  /** `count` random containers change (new, newest `updated`; some change state); gives their shas. */
  updateContainers(count: number): string[];
  /** `count` new containers of random images; gives their shas. */
  addContainers(count: number): string[];
  /** `count` random containers are deleted; gives their shas. */
  removeContainers(count: number): string[];
  inject(fault: Fault): void;
  setLatency(ms: number): void;
  /**
   * Answers the next `after` requests (any path), then holds every later one unanswered until release(): a run
   * interrupted or raced by a test waits for the test on a request it has sent. Counted in stats when it arrives.
   */
  hold(after: number): void;
  /** Answers the held requests and stops holding. */
  release(): void;
  /** How many requests are held now. */
  held(): number;
  close(): Promise<void>;
}

const QUALYS_RATE_LIMITS = {
  list: { limit: 120, windowSec: 60 },
  images: { limit: 5000, windowSec: 60 },
  containersList: { limit: 120, windowSec: 60 },
  containers: { limit: 5000, windowSec: 60 },
};

/** Starts the simulator on loopback (by default) and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<QualysSimulator> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 1;
  const auth = new Auth(options.credentials ?? { username: 'demo', password: 'demo-password' }, (options.tokenTtlSec ?? 14_400) * 1000);
  const images = generateImages(options.images ?? 1000, seed, { hostileValues: options.hostileValues === true, now: options.now, ties: options.ties });
  const store = new ImageStore(images);
  const containerCount = options.containers ?? 2 * images.length;
  const containers = new RecordStore(generateContainers(images, containerCount, seed, { now: options.now }), CONTAINER_SORT);
  const stats: SimulatorStats = {
    requests: 0,
    byPath: {},
    status: {},
    rateLimited: 0,
    allowedByBucket: { list: 0, images: 0, containersList: 0, containers: 0 },
    logins: 0,
    updates: 0,
    adds: 0,
    removes: 0,
    containerUpdates: 0,
    containerAdds: 0,
    containerRemoves: 0,
  };
  const ctx: Context = {
    options,
    dialect: options.dialect ?? {},
    store,
    containers,
    auth,
    faults: new FaultQueue(() => auth.expireTokens()),
    gate: new Gate(),
    limiter: new RateLimiter(
      options.rateLimit === false ? false : { ...QUALYS_RATE_LIMITS, ...options.rateLimit },
      options.rateLimitMode ?? 'fixed',
      options.rateLimitHeaders ?? 'both',
    ),
    mutations: new Mutations(store, createRandom(seed ^ 0x5eed), stats),
    // Their own streams, so the image changes of a run are the same whether containers change or not.
    containerMutations: new ContainerMutations(
      containers,
      store,
      new ContainerFactory(createRandom((seed ^ 0xadd5) >>> 0), options.now ?? Date.UTC(2026, 10, 1), containerCount),
      createRandom((seed ^ 0xc0de) >>> 0),
      stats,
    ),
    stats,
    log: [],
    url: '',
    latencyMs: options.latencyMs ?? 0,
    dataRequests: 0,
  };
  for (const f of options.faults ?? []) ctx.faults.inject(f);

  // The bulk cursor this server writes lists every uuid at its `updated` value, so a request that sends it back
  // can carry a URL far longer than Node's 16 KiB default; a server must accept the cursors it makes.
  const server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(500, 'INTERNAL_SERVER_ERROR', String(error)));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  ctx.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: ctx.url,
    port,
    credentials: auth.credentials,
    staticToken: auth.staticToken,
    stats,
    requests: ctx.log,
    images: () => store.all(),
    updateImages: (count) => ctx.mutations.update(count),
    addImages: (count) => ctx.mutations.add(count),
    removeImages: (count) => ctx.mutations.remove(count),
    containers: () => containers.all(),
    updateContainers: (count) => ctx.containerMutations.update(count),
    addContainers: (count) => ctx.containerMutations.add(count),
    removeContainers: (count) => ctx.containerMutations.remove(count),
    inject: (fault) => ctx.faults.inject(fault),
    setLatency: (ms) => {
      ctx.latencyMs = ms;
    },
    hold: (after) => ctx.gate.hold(after),
    release: () => ctx.gate.release(),
    held: () => ctx.gate.held,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
