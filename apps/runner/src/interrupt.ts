import { AbortedError, removeLiveTempFilesSync } from '@qcs-export/core';
import { ExitCode } from './exit-codes.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The exit code each signal ends a run with: 128 + its number, as a shell reports a process that signal ended. */
export const EXIT_CODE_OF_SIGNAL: Readonly<Record<InterruptSignal, number>> = { SIGINT: ExitCode.interrupted, SIGTERM: ExitCode.terminated };

/**
 * How long the run may take to unwind after the first signal (sinks abort, temporary files go) before the process
 * exits anyway. Some waits cannot be cancelled from JavaScript: a login request without the run's signal, a read on a
 * hung network filesystem running in libuv's thread pool. Without this bound they would keep the process alive long
 * after a container runtime's SIGTERM, until it sends SIGKILL and nothing is cleaned up at all.
 */
export const UNWIND_GRACE_MS = 3000;

export interface Interrupts {
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: InterruptSignal | undefined;
  /** The exit code for the signal received, or undefined when none was. */
  exitCode(): number | undefined;
  /** Stops listening: from then on a signal does what it does to a process nobody watches for it. */
  stop(): void;
}

/**
 * Turns SIGINT and SIGTERM into an aborted signal for the run, and guarantees the process ends: the run gets
 * UNWIND_GRACE_MS to abort its sinks; after that, or at a second signal, this process's temporary files are removed
 * synchronously and it exits with 130 (SIGINT) or 143 (SIGTERM).
 */
export function watchInterrupts(options: { onFirst?: () => void; graceMs?: number } = {}): Interrupts {
  const controller = new AbortController();
  let received: InterruptSignal | undefined;
  const exitNow = () => {
    removeLiveTempFilesSync();
    process.exit(EXIT_CODE_OF_SIGNAL[received ?? 'SIGINT']);
  };
  const onSignal = (name: InterruptSignal) => {
    if (received !== undefined) return exitNow();
    received = name;
    options.onFirst?.();
    process.stderr.write(`\n${name}: stopping; removing partial output (press Ctrl-C again to quit at once)\n`);
    controller.abort(new AbortedError(`interrupted by ${name}`));
    // Unref'd: a run that unwinds in time ends the process by itself, with its own report.
    setTimeout(exitNow, options.graceMs ?? UNWIND_GRACE_MS).unref();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    exitCode: () => (received === undefined ? undefined : EXIT_CODE_OF_SIGNAL[received]),
    stop: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
