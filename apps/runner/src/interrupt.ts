import { AbortedError, createConsoleLogger, removeLiveTempFilesSync, type LogFormat, type Logger } from '@qcs-export/core';
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

/** Where the notice that a run is stopping goes: the run's logger, in the format it writes. */
export interface StopNoticeLogging {
  logger: Logger;
  format: LogFormat;
}

export interface WatchOptions {
  onFirst?: () => void;
  graceMs?: number;
  /**
   * Asked at the first signal, so the notice follows the log settings known by then: the flags' before the config is
   * read, the run's after. Default: text lines on stderr.
   */
  logging?: () => StopNoticeLogging;
}

/**
 * What the first signal prints. Each signal is said to quit at once when sent again; "press Ctrl-C" only to a
 * person at a terminal who pressed it (a SIGTERM comes from a runtime or `kill`, and a log file has no keyboard).
 */
export function stoppingNotice(name: InterruptSignal, atTerminal: boolean): string {
  const again = name === 'SIGINT' && atTerminal ? 'press Ctrl-C again to quit at once' : `a second ${name} quits at once`;
  return `${name}: stopping; removing partial output (${again})`;
}

/**
 * Turns SIGINT and SIGTERM into an aborted signal for the run, and guarantees the process ends: the run gets
 * UNWIND_GRACE_MS to abort its sinks; after that, or at a second signal, this process's temporary files are removed
 * synchronously and it exits with 130 (SIGINT) or 143 (SIGTERM).
 */
export function watchInterrupts(options: WatchOptions = {}): Interrupts {
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
    announce(name, options.logging?.() ?? { logger: createConsoleLogger(), format: 'text' });
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

function announce(name: InterruptSignal, { logger, format }: StopNoticeLogging): void {
  const atTerminal = process.stderr.isTTY === true;
  // The terminal has echoed "^C" where the cursor was: a text notice starts on a line of its own. Off a terminal
  // nothing was echoed, and with --log-format json every line must stay one JSON object.
  if (atTerminal && format === 'text') process.stderr.write('\n');
  logger.warn(stoppingNotice(name, atTerminal));
}
