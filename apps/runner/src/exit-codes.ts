import { isQcsError, type QcsErrorCode } from '@qcs-export/core';

/**
 * Process exit codes, documented in the README:
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | the export failed (network, server, a sink, completeness) |
 * | 2 | invalid config or usage, an unusable output, manifest or state path, a bad secret file: nothing was requested |
 * | 3 | the export finished but a sink rejected some records |
 * | 4 | authentication failed |
 * | 5 | nothing matched and run.failOnEmpty asks for that to fail |
 * | 130 | interrupted by SIGINT (Ctrl-C) |
 * | 141 | the reader of stdout went away (`| head`), ended quietly |
 * | 143 | terminated by SIGTERM (128 + 15, what a shell shows for a process SIGTERM ended) |
 *
 * After 130 or 143 no previous output was replaced, the state was not advanced, and temporary files were removed.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidConfig: 2,
  recordsRejected: 3,
  authFailed: 4,
  emptyExport: 5,
  interrupted: 130,
  /** The reader of stdout went away (`| head`): 128 + SIGPIPE, ended quietly. */
  outputClosed: 141,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code of every error code; the README lists them all (a test keeps it complete). */
export const exitCodeByErrorCode: Readonly<Record<QcsErrorCode, ExitCode>> = {
  QCS_CONFIG_INVALID: ExitCode.invalidConfig,
  QCS_USAGE: ExitCode.invalidConfig,
  QCS_INSECURE_URL: ExitCode.invalidConfig,
  QCS_FILTER_REJECTED: ExitCode.invalidConfig,
  QCS_OUTPUT_UNWRITABLE: ExitCode.invalidConfig,
  QCS_AUTH_FAILED: ExitCode.authFailed,
  QCS_FORBIDDEN: ExitCode.authFailed,
  QCS_RATE_LIMITED: ExitCode.failed,
  QCS_HTTP_ERROR: ExitCode.failed,
  QCS_NETWORK: ExitCode.failed,
  QCS_TIMEOUT: ExitCode.failed,
  QCS_PROTOCOL: ExitCode.failed,
  QCS_SOURCE_INCONSISTENT: ExitCode.failed,
  QCS_SOURCE_INCOMPLETE: ExitCode.failed,
  QCS_EMPTY_EXPORT: ExitCode.emptyExport,
  QCS_SINK_FAILED: ExitCode.failed,
  QCS_OUTPUT_CLOSED: ExitCode.outputClosed,
  QCS_SINK_INCOMPLETE: ExitCode.failed,
  QCS_RECORDS_REJECTED: ExitCode.recordsRejected,
  QCS_STATE_INVALID: ExitCode.invalidConfig,
  QCS_STATE_LOCKED: ExitCode.failed,
  QCS_ABORTED: ExitCode.interrupted,
};

/** The exit code for a failure: its code's, or 1 for anything that is not a QcsError (a bug: QCS_INTERNAL). */
export function exitCodeOf(error: unknown): ExitCode {
  return isQcsError(error) ? exitCodeByErrorCode[error.code] : ExitCode.failed;
}

/** Worst first: an interrupt or termination, a failed export, refused credentials, a bad config, an empty export, rejected records. */
const SEVERITY: readonly number[] = [
  ExitCode.terminated,
  ExitCode.interrupted,
  ExitCode.outputClosed,
  ExitCode.failed,
  ExitCode.authFailed,
  ExitCode.invalidConfig,
  ExitCode.emptyExport,
  ExitCode.recordsRejected,
];

/** The exit code of several runs (one per -c config): the worst of theirs, by the order above; 0 when all succeeded. */
export function worstExitCode(codes: readonly number[]): number {
  for (const code of SEVERITY) if (codes.includes(code)) return code;
  return codes.find((c) => c !== ExitCode.ok) ?? ExitCode.ok;
}
