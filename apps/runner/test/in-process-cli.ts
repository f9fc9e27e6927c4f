/**
 * Runs a command line through the built CLI's `main` inside the test's own process, as `node dist/cli.js ARGS` would
 * in a working directory with an environment of its own: the same dist code, the same loopback servers and files.
 *
 * Why not a child process every time: starting one costs about half a CPU-second (Node, then the commands, zod
 * schemas and the Qualys client), and the runner's tests start well over a hundred; on two cores that alone was
 * about a sixth of `pnpm test`. What only a real process shows (signals, exit after the grace period, the heap-limit
 * relaunch, which modules a command loads, stdout as a pipe) stays in tests that start one: see useCliHarness's
 * `during` and `cliProcess`. `QCS_TEST_CLI=process` runs every CLI test as its own process again.
 *
 * Vitest runs each test file in its own forked process (its default pool) and the tests of a file one after
 * another, so the working directory, the environment and the two output streams can be lent to one command at a
 * time; a queue keeps that true even if two commands were started at once.
 */
import { main } from '../dist/main.js';

export interface CapturedOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

export function runInProcess(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CapturedOutcome> {
  const next = queue.then(() => runNow(args, env, cwd));
  queue = next.catch(() => undefined);
  return next;
}

type Write = typeof process.stdout.write;

/** A stream's write that appends to a string, accepting every call shape a Writable's write accepts. */
function capturing(append: (text: string) => void): Write {
  return ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as (error?: Error) => void)());
    return true;
  }) as Write;
}

async function runNow(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CapturedOutcome> {
  const saved = { env: process.env, cwd: process.cwd(), stdout: process.stdout.write, stderr: process.stderr.write };
  let stdout = '';
  let stderr = '';
  // The child gets PATH and the test's variables only; vitest's own (VITEST_*) stay for the worker's sake.
  const vitestOwn = Object.fromEntries(Object.entries(saved.env).filter(([name]) => name.startsWith('VITEST')));
  process.env = { ...vitestOwn, PATH: saved.env['PATH'], ...env };
  process.chdir(cwd);
  process.stdout.write = capturing((text) => (stdout += text));
  process.stderr.write = capturing((text) => (stderr += text));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    process.chdir(saved.cwd);
    process.env = saved.env;
  }
}
