import type { ServerResponse } from 'node:http';
import type { Auth } from './auth.js';
import type { Dialect } from './dialect.js';
import type { FaultQueue, QueuedFault } from './faults.js';
import type { Gate } from './gate.js';
import type { ContainerSortField, RawContainer } from './containers.js';
import type { ContainerMutationStats, ContainerMutations, MutationStats, Mutations } from './mutations.js';
import type { SimulatorOptions } from './options.js';
import type { RateLimiter } from './rate-limit.js';
import type { ImageStore, RecordStore } from './store.js';

export interface SimulatorStats extends MutationStats, ContainerMutationStats {
  requests: number;
  byPath: Record<string, number>;
  status: Record<number, number>;
  /** Requests answered 429 by the rate limiter (injected 429s not included). */
  rateLimited: number;
  /** Requests the rate limiter let through, per bucket. */
  allowedByBucket: { list: number; images: number; containersList: number; containers: number };
  logins: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  authKind: 'bearer' | 'basic' | 'none';
  /** When the request arrived (epoch ms), so a test or benchmark can measure the rate the server saw. */
  at: number;
}

/** What every part of the server shares: options, data, counters. */
export interface Context {
  readonly options: SimulatorOptions;
  readonly dialect: Dialect;
  readonly store: ImageStore;
  readonly containers: RecordStore<RawContainer, ContainerSortField>;
  readonly auth: Auth;
  readonly faults: FaultQueue;
  readonly gate: Gate;
  readonly limiter: RateLimiter;
  readonly mutations: Mutations;
  readonly containerMutations: ContainerMutations;
  readonly stats: SimulatorStats;
  readonly log: RequestLogEntry[];
  /** The simulator's own base URL, known once it listens. */
  url: string;
  latencyMs: number;
  /** Data requests (GET /images, /images/list, /images/<sha>…, and the same of /containers) so far; drives crawl updates and tie shuffles. */
  dataRequests: number;
}

/** One data page being answered: where to, with which headers (rate limit), and under which fault. */
export interface PageReply {
  res: ServerResponse;
  headers: Record<string, string>;
  fault: QueuedFault | undefined;
}
