/**
 * Every failure the tool reports is a QcsError with a stable `code`. Messages say what to fix and never
 * contain secrets: callers pass redacted values only, and the runner runs every message through the
 * redactor again before printing it.
 */
export type QcsErrorCode =
  | 'QCS_CONFIG_INVALID'
  | 'QCS_USAGE'
  | 'QCS_INSECURE_URL'
  | 'QCS_AUTH_FAILED'
  | 'QCS_FORBIDDEN'
  | 'QCS_FILTER_REJECTED'
  | 'QCS_RATE_LIMITED'
  | 'QCS_HTTP_ERROR'
  | 'QCS_NETWORK'
  | 'QCS_TIMEOUT'
  | 'QCS_PROTOCOL'
  | 'QCS_SOURCE_INCONSISTENT'
  | 'QCS_SOURCE_INCOMPLETE'
  | 'QCS_EMPTY_EXPORT'
  | 'QCS_OUTPUT_UNWRITABLE'
  | 'QCS_SINK_FAILED'
  | 'QCS_RECORDS_REJECTED'
  | 'QCS_ABORTED';

/** Process exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidConfig: 2,
  recordsRejected: 3,
  authFailed: 4,
  emptyExport: 5,
  interrupted: 130,
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
  QCS_RECORDS_REJECTED: ExitCode.recordsRejected,
  QCS_ABORTED: ExitCode.interrupted,
};

export class QcsError extends Error {
  readonly code: QcsErrorCode;
  constructor(code: QcsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  get exitCode(): ExitCode {
    return exitCodeByErrorCode[this.code];
  }
}

/** The config file or the command line is wrong; the message names the file, line and path. */
export class ConfigError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_CONFIG_INVALID', message, options);
  }
}

export class UsageError extends QcsError {
  constructor(message: string) {
    super('QCS_USAGE', message);
  }
}

/** Plain http:// to a host that is not loopback. */
export class InsecureUrlError extends QcsError {
  constructor(message: string) {
    super('QCS_INSECURE_URL', message);
  }
}

/** Credentials were refused (bad password, token expired and could not be renewed). */
export class AuthError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_AUTH_FAILED', message, options);
  }
}

/** 403: the user lacks a permission or scope. */
export class ForbiddenError extends QcsError {
  constructor(message: string) {
    super('QCS_FORBIDDEN', message);
  }
}

/** 400 on a query: almost always a QQL filter the server cannot parse. */
export class FilterRejectedError extends QcsError {
  constructor(message: string) {
    super('QCS_FILTER_REJECTED', message);
  }
}

/** 429/409 still returned after every retry. */
export class RateLimitError extends QcsError {
  constructor(message: string) {
    super('QCS_RATE_LIMITED', message);
  }
}

/** Any other HTTP status the client cannot recover from. */
export class HttpError extends QcsError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('QCS_HTTP_ERROR', message);
    this.status = status;
  }
}

/** Connection refused, reset or dropped, after every retry. */
export class NetworkError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_NETWORK', message, options);
  }
}

export class TimeoutError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_TIMEOUT', message, options);
  }
}

/** The server answered with something that is not the documented shape (garbage, truncated JSON). */
export class ProtocolError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_PROTOCOL', message, options);
  }
}

/** The source could not guarantee exactly-once delivery (e.g. a tie group too large to page through). */
export class SourceInconsistentError extends QcsError {
  constructor(message: string) {
    super('QCS_SOURCE_INCONSISTENT', message);
  }
}

/**
 * The source delivered fewer images than the server holds for the filter, and could not fetch the rest. The
 * numbers are kept as fields so the runner can print and report them.
 */
export class SourceIncompleteError extends QcsError {
  readonly expected: number;
  readonly delivered: number;
  constructor(expected: number, delivered: number, message: string) {
    super('QCS_SOURCE_INCOMPLETE', message);
    this.expected = expected;
    this.delivered = delivered;
  }
}

/** The filter matched no image, and the config said an empty export is a failure (run.failOnEmpty). */
export class EmptyExportError extends QcsError {
  constructor(message: string) {
    super('QCS_EMPTY_EXPORT', message);
  }
}

export class OutputUnwritableError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_OUTPUT_UNWRITABLE', message, options);
  }
}

export class SinkError extends QcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QCS_SINK_FAILED', message, options);
  }
}

/** The run finished, but a sink rejected some records (they went to its dead-letter output). */
export class RecordsRejectedError extends QcsError {
  readonly rejected: number;
  constructor(rejected: number, message: string) {
    super('QCS_RECORDS_REJECTED', message);
    this.rejected = rejected;
  }
}

export class AbortedError extends QcsError {
  constructor(message = 'the export was interrupted') {
    super('QCS_ABORTED', message);
  }
}

export function isQcsError(e: unknown): e is QcsError {
  return e instanceof QcsError;
}
