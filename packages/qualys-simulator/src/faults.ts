import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Delivery, send, WHOLE } from './http.js';
import { waitHeaders, type RateLimitHeaderStyle } from './rate-limit.js';

/** How an `emptyPage` fault answers: `data: []`, `data: null`, no `data` key, or a bare 204. */
export type EmptyPageShape = 'empty' | 'null' | 'absent' | '204';

/**
 * A fault the server serves instead of (or on top of) a normal answer. Each is queued and used by the next
 * `count` (default 1) requests whose path starts with `path` (default "/csapi"); latency adds to the next fault.
 * `shortPage`, `emptyPage`, `duplicateInPage` and `trickle` are page faults: only data pages of /images,
 * /images/list, /containers and /containers/list take them.
 */
export type Fault =
  /** An error status. 404 with path `/csapi/v1.3/images/<sha>`: that image's details or /vuln answer 404 while the list still holds it. */
  | { kind: 'status'; status: 500 | 502 | 503 | 504 | 429 | 409 | 401 | 400 | 404; count?: number; path?: string }
  /**
   * The image named in the request's path (`/csapi/v1.3/images/<sha>…`) is deleted just before the request is
   * answered, so it answers as a real server would for an image removed between the list and its details: 404.
   */
  | { kind: 'removeImage'; count?: number; path?: string }
  | { kind: 'drop'; count?: number; path?: string }
  | { kind: 'truncate'; count?: number; path?: string }
  | { kind: 'garbage'; count?: number; path?: string }
  | { kind: 'latency'; ms: number; count?: number; path?: string }
  /** The page holds half its records (rounded down; a page of one keeps it), `count` unchanged; a bulk Link still points past the full page. */
  | { kind: 'shortPage'; count?: number; path?: string }
  /** The page comes back empty in `shape` although records match; a bulk answer's Link repeats the request's own cursor. */
  | { kind: 'emptyPage'; shape: EmptyPageShape; count?: number; path?: string }
  /** The page's first record appears a second time at its end. */
  | { kind: 'duplicateInPage'; count?: number; path?: string }
  /** Headers at once, then the body `bytesPerChunk` bytes every `intervalMs`. */
  | { kind: 'trickle'; bytesPerChunk: number; intervalMs: number; count?: number; path?: string }
  | { kind: 'expireTokens' };

export type QueuedFault = Exclude<Fault, { kind: 'expireTokens' }>;
export type PageFault = Extract<QueuedFault, { kind: 'shortPage' | 'emptyPage' | 'duplicateInPage' | 'trickle' }>;

const PAGE_KINDS: ReadonlySet<QueuedFault['kind']> = new Set(['shortPage', 'emptyPage', 'duplicateInPage', 'trickle']);

/** Faults in the order they were queued; each request takes the first one that applies to it. */
export class FaultQueue {
  private readonly queue: Array<{ fault: QueuedFault; left: number }> = [];

  constructor(private readonly onExpireTokens: () => void) {}

  inject(fault: Fault): void {
    if (fault.kind === 'expireTokens') this.onExpireTokens();
    else this.queue.push({ fault, left: fault.count ?? 1 });
  }

  /** The next fault for this request; page faults are only handed to data-page requests. */
  take(path: string, dataPage: boolean): QueuedFault | undefined {
    const i = this.queue.findIndex(
      ({ fault }) => (fault.path ? path.startsWith(fault.path) : path.startsWith('/csapi')) && (dataPage || !PAGE_KINDS.has(fault.kind)),
    );
    if (i < 0) return undefined;
    const q = this.queue[i] as { fault: QueuedFault; left: number };
    if (--q.left <= 0) this.queue.splice(i, 1);
    return q.fault;
  }
}

/** Serves the faults that replace the whole answer (drop, garbage, status). Returns whether it answered. */
export function serveReplacingFault(fault: QueuedFault | undefined, req: IncomingMessage, res: ServerResponse, style: RateLimitHeaderStyle): boolean {
  if (fault?.kind === 'drop') req.socket.destroy();
  else if (fault?.kind === 'garbage') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Gateway error</body></html>');
  } else if (fault?.kind === 'status') {
    const headers = fault.status === 429 || fault.status === 409 ? waitHeaders(0.05, style) : {};
    send(res, fault.status, { errorCode: `${fault.status} SIMULATED`, message: `simulated ${fault.status}`, timestamp: Date.now() }, headers);
  } else return false;
  return true;
}

/** How the body of an answer under this fault is written. */
export function deliveryOf(fault: QueuedFault | undefined): Delivery {
  if (fault?.kind === 'truncate') return { kind: 'truncate' };
  if (fault?.kind === 'trickle') return { kind: 'trickle', bytesPerChunk: fault.bytesPerChunk, intervalMs: fault.intervalMs };
  return WHOLE;
}
