import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { startSimulator, type QualysSimulator, type SimulatorOptions } from '@qcs-export/qualys-simulator';
import { runInProcess } from './in-process-cli.js';

/** The built CLI, run as a user would: a temporary working directory, a minimal environment. */
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const PASSWORD = 'S3cr3t&=+ pw%';

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  /** The working directory of the current test. */
  readonly dir: string;
  /**
   * Runs the built CLI's main in this process (in-process-cli.ts), or as a process of its own when `during` needs
   * the child (to signal or kill it) or QCS_TEST_CLI=process is set.
   */
  cli(args: string[], env?: NodeJS.ProcessEnv, during?: (child: ReturnType<typeof spawn>) => void): Promise<Outcome>;
  /** The built CLI as a process of its own: for what only a process shows (exit codes of the binary, pipes). */
  cliProcess(args: string[], env?: NodeJS.ProcessEnv): Promise<Outcome>;
  simulator(options?: SimulatorOptions): Promise<QualysSimulator>;
  config(body: string): Promise<string>;
}

/** Registers the per-test directory and simulator clean-up, and returns the helpers that use them. */
export function useCliHarness(): CliHarness {
  let dir = '';
  let sim: QualysSimulator | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-cli-'));
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    cli: (args, env = {}, during) => (during !== undefined || IN_PROCESS === false ? cliProcess(dir, args, env, during) : runInProcess(args, env, dir)),
    cliProcess: (args, env = {}) => cliProcess(dir, args, env),
    simulator: async (options = {}) => {
      sim = await startSimulator({ images: 3000, credentials: { username: 'auditor', password: PASSWORD }, rateLimit: false, ...options });
      return sim;
    },
    config: async (body) => {
      const file = join(dir, 'config.yaml');
      await writeFile(file, body);
      return file;
    },
  };
}

const IN_PROCESS = process.env['QCS_TEST_CLI'] !== 'process';

function cliProcess(cwd: string, args: string[], env: NodeJS.ProcessEnv, during?: (child: ReturnType<typeof spawn>) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    during?.(child);
  });
}

/**
 * Resolves true once the simulator holds a request (see QualysSimulator.hold), so the run is waiting on it; false if
 * the process ended first, so the test fails on what it checks next instead of waiting for ever.
 */
export async function untilHeld(s: QualysSimulator, child: ChildProcess): Promise<boolean> {
  while (s.held() === 0) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

export function liveConfig(url: string, sinks: string, extra = ''): string {
  return `source:
  baseUrl: ${url}
  auth:
    username: auditor
    password: \${QUALYS_PASSWORD}
  pageSize: 250
${extra}sinks:
${sinks}`;
}

export const shasOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { sha: string }).sha);

/** A run section with a state and a manifest per run, plus `extra` lines of it. */
export const withState = (extra = '') => `run:\n  state: state/qcs.json\n  manifest: out/manifest-{datetime}.json\n${extra}`;

/**
 * The run's time is in the file names, to the second: two runs in one second would share a name. Called after a
 * run has ended, this waits for the next whole second, so the next run's time is later than the last one's.
 */
export const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
