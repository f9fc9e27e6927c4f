import { onAbort } from './abort-link.js';

/** The signal for one HTTP attempt: aborted by the caller, or by the attempt's own deadline. */
export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** True when the deadline, not the caller, ended the attempt. */
  readonly timedOut: boolean;
  /** Stops the timer and unlinks from the caller's signal; call it once the attempt is over, however it ended. */
  dispose(): void;
}

/**
 * An AbortController per attempt, linked to the caller's signal by hand rather than with AbortSignal.any: the
 * link is cut in dispose(), so a long-lived run signal keeps no listener and no reference per finished call.
 */
export function attemptSignal(caller: AbortSignal | undefined, deadlineMs: number): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const unlink = caller ? onAbort(caller, () => controller.abort(caller.reason)) : undefined;
  if (caller?.aborted) controller.abort(caller.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`deadline of ${deadlineMs} ms exceeded`));
  }, deadlineMs);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      unlink?.();
    },
  };
}
