/**
 * Sizes V8's heap from the container's memory limit. Node sizes its heap from the machine's memory, and inside a
 * cgroup from the limit, but never below V8's floor: 256 MB of old space plus 48 MB of young generation on 64-bit,
 * more than a 256 MiB container holds next to the code, the buffers and the zip streams. V8 then grows the heap
 * into that slack before it collects, and the container is killed although the live data is small.
 *
 * When `run` starts under a memory limit (cgroup v2 or v1, or QCS_EXPORT_MEMORY_LIMIT_MB) and the user set no heap
 * size of their own, the CLI starts itself again with --max-old-space-size at half the limit and a semi-space in
 * V8's own proportion to it. V8 reads these flags only when it creates the heap (v8.setFlagsFromString later leaves
 * heap_size_limit unchanged), hence the second process. The first one stays as a small launcher: it passes signals
 * on and ends with the child's exit code or signal.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/** A memory limit in MiB that replaces the cgroup's; 0 or "off" turns the sizing off. */
export const MEMORY_LIMIT_ENV = 'QCS_EXPORT_MEMORY_LIMIT_MB';
/** Set in the relaunched process, so it never relaunches again and knows its signals come from the launcher. */
export const RELAUNCHED_ENV = 'QCS_EXPORT_HEAP_RELAUNCHED';
/** The old space's share of the limit; the rest is young generation, code, buffers, zlib and the launcher. */
export const OLD_SPACE_SHARE = 0.5;
/** Below this the export cannot run at all (the CLI's code and one page of each sink need about this much). */
export const MIN_OLD_SPACE_MB = 64;
/** Signals the launcher passes on: the ones a terminal, a container runtime or a process manager sends. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const MIB = 1024 * 1024;
/** cgroup v1 writes "no limit" as the largest page-aligned 64-bit value (9223372036854771712); anything this big is none. */
const UNLIMITED_FROM = 2 ** 62;
/** Any flag that sizes V8's heap: when the user gave one, the heap is theirs. */
const HEAP_FLAG = /^--max[-_](old[-_]space|semi[-_]space|young[-_]generation|heap)[-_]size(=|$)/;
/** A debugger flag: the debugger is attached to this process, and a child would find the port taken. */
const INSPECT_FLAG = /^--inspect(-brk|-wait)?(=|$)/;
/** Signals whose default action only ends the process; the launcher ends by the same one. Others (SIGABRT when V8
 * runs out of heap, SIGSEGV) dump core by default, and the launcher exits with 128 + the number instead. */
const TERMINATING = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'SIGPIPE', 'SIGALRM', 'SIGUSR2']);

/** Reads a whole file as text, or undefined when it cannot be read. */
export type ReadFile = (path: string) => string | undefined;

export const readFileOrUndefined: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

export interface MemoryLimit {
  bytes: number;
  /** Where the limit came from, for the debug line. */
  source: string;
}

/** One cgroup limit file's value in bytes; undefined for "max", a missing or unreadable file, or v1's "no limit". */
export function parseLimit(text: string | undefined, totalMemory: number): number | undefined {
  const value = text?.trim();
  if (!value || !/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  // A limit at or above the machine's memory limits nothing (v1 reports 2^63 rounded down to a page).
  if (bytes <= 0 || bytes >= UNLIMITED_FROM || (totalMemory > 0 && bytes >= totalMemory)) return undefined;
  return bytes;
}

/** The cgroup paths of this process from /proc/self/cgroup: the v2 path ("0::/x") and the v1 memory controller's. */
function cgroupPaths(read: ReadFile): { v2?: string; v1?: string } {
  const paths: { v2?: string; v1?: string } = {};
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(\/.*)$/.exec(line.trim()) ?? [];
    if (path === undefined) continue;
    if (controllers === '') paths.v2 = path;
    else if (controllers?.split(',').includes('memory')) paths.v1 = path;
  }
  return paths;
}

/**
 * The memory limit of this process's cgroup, in bytes, or undefined when there is none. Inside a container the
 * cgroup is mounted at /sys/fs/cgroup; without a cgroup namespace it is the path /proc/self/cgroup names. The
 * smallest limit found wins. v2 reads memory.max ("max" = none), v1 memory.limit_in_bytes.
 */
export function cgroupMemoryLimit(read: ReadFile = readFileOrUndefined, totalMemory: number = totalmem()): MemoryLimit | undefined {
  const { v2, v1 } = cgroupPaths(read);
  const candidates: Array<[string, string]> = [['cgroup v2', '/sys/fs/cgroup/memory.max']];
  if (v2 && v2 !== '/') candidates.push(['cgroup v2', `/sys/fs/cgroup${v2}/memory.max`]);
  candidates.push(['cgroup v1', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
  if (v1 && v1 !== '/') candidates.push(['cgroup v1', `/sys/fs/cgroup/memory${v1}/memory.limit_in_bytes`]);
  let found: MemoryLimit | undefined;
  for (const [source, path] of candidates) {
    const bytes = parseLimit(read(path), totalMemory);
    if (bytes !== undefined && (found === undefined || bytes < found.bytes)) found = { bytes, source: `${source} ${path}` };
  }
  return found;
}

export interface HeapSize {
  oldSpaceMB: number;
  semiSpaceMB: number;
  /** What V8 will report as heap_size_limit: the old space plus three semi-spaces (two for new space, one for copying). */
  heapLimitMB: number;
  flags: string[];
}

/**
 * The heap for a memory limit: old space at half of it (at least MIN_OLD_SPACE_MB), and a semi-space of 1/128 of
 * the old space, the ratio V8 itself uses when it sizes the heap from physical memory, as a power of two from 1 to
 * 16 MB. For 256 MiB: 128 MB old space, 1 MB semi-space, 131 MB in all.
 */
export function heapSizeFor(limitBytes: number): HeapSize {
  const limitMB = Math.floor(limitBytes / MIB);
  const oldSpaceMB = Math.max(MIN_OLD_SPACE_MB, Math.floor(limitMB * OLD_SPACE_SHARE));
  const semiSpaceMB = 2 ** Math.min(4, Math.max(0, Math.floor(Math.log2(oldSpaceMB / 128))));
  return {
    oldSpaceMB,
    semiSpaceMB,
    heapLimitMB: oldSpaceMB + 3 * semiSpaceMB,
    flags: [`--max-old-space-size=${oldSpaceMB}`, `--max-semi-space-size=${semiSpaceMB}`],
  };
}

const nodeFlags = (env: NodeJS.ProcessEnv, execArgv: readonly string[]) => [...(env['NODE_OPTIONS'] ?? '').split(/\s+/), ...execArgv];

/** The heap flags the user gave, in NODE_OPTIONS or on node's command line. */
export function userHeapFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[] {
  return nodeFlags(env, execArgv).filter((arg) => HEAP_FLAG.test(arg));
}

export interface HeapInputs {
  env: NodeJS.ProcessEnv;
  execArgv: readonly string[];
  readFile: ReadFile;
  /** The machine's memory, in bytes (os.totalmem()). */
  totalMemory: number;
  /** This process's heap_size_limit, in bytes (v8.getHeapStatistics()). */
  heapSizeLimit: number;
}

export type HeapDecision =
  | { relaunch: false; reason: string; warning?: string }
  | { relaunch: true; reason: string; warning?: string; limit: MemoryLimit; heap: HeapSize };

/** Whether to start again with a smaller heap, and with which flags. Reads nothing but its inputs. */
export function decideHeap(inputs: HeapInputs): HeapDecision {
  const { env, execArgv } = inputs;
  if (env[RELAUNCHED_ENV]) return { relaunch: false, reason: 'already started with a heap limit' };
  const user = userHeapFlags(env, execArgv);
  if (user.length > 0) return { relaunch: false, reason: `the heap is sized by ${user.join(' ')}` };
  if (nodeFlags(env, execArgv).some((arg) => INSPECT_FLAG.test(arg))) return { relaunch: false, reason: 'a debugger flag (--inspect) is set' };
  const override = env[MEMORY_LIMIT_ENV]?.trim();
  let limit: MemoryLimit | undefined;
  let warning: string | undefined;
  if (override) {
    if (override === '0' || override.toLowerCase() === 'off') return { relaunch: false, reason: `${MEMORY_LIMIT_ENV}=${override}` };
    if (/^\d+(\.\d+)?$/.test(override) && Number(override) > 0) limit = { bytes: Number(override) * MIB, source: MEMORY_LIMIT_ENV };
    else warning = `${MEMORY_LIMIT_ENV}="${override}" is not a number of MiB (or 0/off); ignoring it`;
  }
  limit ??= cgroupMemoryLimit(inputs.readFile, inputs.totalMemory);
  const note = warning ? { warning } : {};
  if (!limit) return { relaunch: false, reason: 'no memory limit', ...note };
  const heap = heapSizeFor(limit.bytes);
  const describe = `${limit.source}: ${Math.round(limit.bytes / MIB)} MiB → ${heap.flags.join(' ')}`;
  // Only ever lower the heap: under a large limit V8's own choice is already smaller than half of it.
  if (heap.heapLimitMB * MIB >= inputs.heapSizeLimit) {
    return { relaunch: false, reason: `${describe} would not lower the heap (${Math.round(inputs.heapSizeLimit / MIB)} MB)`, ...note };
  }
  return { relaunch: true, reason: describe, limit, heap, ...note };
}

/** The decision for this process. */
export function decideHeapHere(): HeapDecision {
  return decideHeap({
    env: process.env,
    execArgv: process.execArgv,
    readFile: readFileOrUndefined,
    totalMemory: totalmem(),
    heapSizeLimit: getHeapStatistics().heap_size_limit,
  });
}

/** The message the launcher sends the child for a signal it received. */
interface SignalMessage {
  qcsExportSignal: (typeof FORWARDED_SIGNALS)[number];
}

const isSignalMessage = (m: unknown): m is SignalMessage =>
  typeof m === 'object' && m !== null && FORWARDED_SIGNALS.includes((m as SignalMessage).qcsExportSignal);

/**
 * Starts this script again in a child with the heap flags when decideHeapHere() says so, and resolves true once
 * the child runs; this process then only forwards signals and, when the child ends, exits the same way. Resolves
 * false (run here, as before) when no limit applies or the child cannot be started.
 */
export async function relaunchWithHeapLimit(decision: HeapDecision = decideHeapHere()): Promise<boolean> {
  if (decision.warning) process.stderr.write(`warning: ${decision.warning}\n`);
  if (process.env['QCS_DEBUG']) process.stderr.write(`heap: ${decision.relaunch ? 'starting again with ' : ''}${decision.reason}\n`);
  if (!decision.relaunch) return false;
  const script = process.argv[1];
  if (script === undefined) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...decision.heap.flags, script, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED_ENV]: '1' },
  });
  const started = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!started) return false;
  child.on('error', () => undefined);
  // A signal a terminal sends to the process group reaches the child too; the child drops the copy (see
  // relayLauncherSignals), so a single Ctrl-C never counts as the second one that quits without clean-up.
  const forward = (signal: SignalMessage['qcsExportSignal']) => {
    if (child.connected) child.send({ qcsExportSignal: signal } satisfies SignalMessage, () => undefined);
    else child.kill(signal);
  };
  const listeners = FORWARDED_SIGNALS.map((signal) => [signal, () => forward(signal)] as const);
  for (const [signal, listener] of listeners) process.on(signal, listener);
  child.once('exit', (code, signal) => {
    for (const [name, listener] of listeners) process.off(name, listener);
    if (signal) {
      // End the way the child did, so a shell or a container runtime sees the same signal. As PID 1 of a
      // container the kernel ignores it, hence the exit code a shell would show as well.
      const exit = () => process.exit(128 + (constants.signals[signal] ?? 0));
      if (!TERMINATING.has(signal)) return exit();
      process.kill(process.pid, signal);
      setTimeout(exit, 100);
    } else process.exit(code ?? 1);
  });
  return true;
}

/**
 * In the relaunched child: turns the launcher's forwarded signals into signals here, except those that also came
 * directly (a terminal's Ctrl-C reaches the whole process group). While the CLI has a handler for a signal, a
 * listener of this function's notes when the signal arrives directly; with no handler, a signal ends the process
 * as it would without the launcher. The IPC channel does not keep the process alive.
 */
export function relayLauncherSignals(proc: NodeJS.Process = process, windowMs = 1000, delayMs = 50): void {
  if (!proc.env[RELAUNCHED_ENV] || typeof proc.send !== 'function') return;
  const isForwarded = (event: string | symbol): event is SignalMessage['qcsExportSignal'] =>
    (FORWARDED_SIGNALS as readonly (string | symbol)[]).includes(event);
  const direct = new Map<string, number>();
  const observers = new Map<string, () => void>();
  let relaying = false;
  let adding = false;
  // Observe a signal only while someone else handles it, so that without a handler the default action stays.
  proc.on('newListener', (event: string | symbol) => {
    if (adding || !isForwarded(event) || observers.has(event)) return;
    const observer = () => {
      if (!relaying) direct.set(event, Date.now());
    };
    observers.set(event, observer);
    adding = true;
    proc.prependListener(event, observer);
    adding = false;
  });
  proc.on('removeListener', (event: string | symbol, listener: unknown) => {
    const observer = isForwarded(event) ? observers.get(event) : undefined;
    if (!observer || listener === observer || proc.listenerCount(event) > 1) return;
    observers.delete(event as string);
    proc.off(event as string, observer);
  });
  proc.on('message', (message: unknown) => {
    if (!isSignalMessage(message)) return;
    const signal = message.qcsExportSignal;
    const at = Date.now();
    // A direct copy of the same signal is already pending when the message arrives; wait for it to be handled.
    setTimeout(() => {
      const seen = direct.get(signal);
      if (seen !== undefined && seen >= at - windowMs) return;
      if (!observers.has(signal)) return void proc.kill(proc.pid, signal);
      relaying = true;
      try {
        proc.emit(signal, signal);
      } finally {
        relaying = false;
      }
    }, delayMs);
  });
  proc.channel?.unref();
}
