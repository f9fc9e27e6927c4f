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
  | 'QCS_OUTPUT_CLOSED'
  | 'QCS_SINK_INCOMPLETE'
  | 'QCS_RECORDS_REJECTED'
  | 'QCS_STATE_INVALID'
  | 'QCS_STATE_LOCKED'
  | 'QCS_ABORTED';

/** What a QcsError may carry besides its code and message. */
export interface QcsErrorOptions {
  cause?: unknown;
  /**
   * The setting that would fix the failure, by the neutral name of the option that takes it (a QualysClient option
   * such as 'baseUrl', an image-source option such as 'filter', a sink's own option such as 'node'), never by a
   * config path or an environment variable: a front end maps it to its own name for it.
   */
  setting?: string;
  /** What to do about it: the advice that ends the message. `detail` is the message without it. */
  hint?: string;
}

/**
 * A failure with a stable `code`. What a process exit code it means is the front end's business (the CLI maps
 * codes to exit codes), not core's. The message is `detail`, then `hint` when there is one.
 */
export class QcsError extends Error {
  readonly code: QcsErrorCode;
  /** What went wrong, without the advice. */
  readonly detail: string;
  /** See QcsErrorOptions.setting. */
  readonly setting: string | undefined;
  /** See QcsErrorOptions.hint. */
  readonly hint: string | undefined;
  constructor(code: QcsErrorCode, detail: string, options: QcsErrorOptions = {}) {
    super(options.hint ? `${detail} ${options.hint}` : detail, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.detail = detail;
    this.setting = options.setting;
    this.hint = options.hint;
    this.name = new.target.name;
  }
}

/** The config file or the command line is wrong; the message names the file, line and path. */
export class ConfigError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_CONFIG_INVALID', message, options);
  }
}

export class UsageError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_USAGE', message, options);
  }
}

/** Plain http:// to a host that is not loopback. */
export class InsecureUrlError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_INSECURE_URL', message, options);
  }
}

/** Credentials were refused (bad password, token expired and could not be renewed). */
export class AuthError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_AUTH_FAILED', message, options);
  }
}

/** 403: the user lacks a permission or scope. */
export class ForbiddenError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_FORBIDDEN', message, options);
  }
}

/** 400 on a query: almost always a QQL filter the server cannot parse. */
export class FilterRejectedError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_FILTER_REJECTED', message, options);
  }
}

/** 429/409 still returned after every retry. */
export class RateLimitError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_RATE_LIMITED', message, options);
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
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_NETWORK', message, options);
  }
}

export class TimeoutError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_TIMEOUT', message, options);
  }
}

/** The server answered with something that is not the documented shape (garbage, truncated JSON). */
export class ProtocolError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
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
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_OUTPUT_UNWRITABLE', message, options);
  }
}

export class SinkError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_SINK_FAILED', message, options);
  }
}

/**
 * The reader of stdout went away before the export finished (`… | head -n 1`): its choice, not a failure to report.
 * The CLI ends quietly with 141 (128 + SIGPIPE, as a shell shows for a writer whose pipe closed), so a script with
 * `set -o pipefail` still sees that not everything was read.
 */
export class OutputClosedError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_OUTPUT_CLOSED', message, options);
  }
}

/**
 * A sink did not account for every record it was given: written + rejected differs from delivered (a destination or a
 * proxy in front of it answered "ok" for records it never stored). The run fails and nothing is published.
 */
export class SinkIncompleteError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_SINK_INCOMPLETE', message, options);
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

/** An incremental state file that cannot be used: unreadable, not a state, or made for another subscription, filter or set of sinks. */
export class StateInvalidError extends QcsError {
  constructor(message: string, options?: QcsErrorOptions) {
    super('QCS_STATE_INVALID', message, options);
  }
}

/** Another run holds the lock of the same incremental state. */
export class StateLockedError extends QcsError {
  constructor(message: string) {
    super('QCS_STATE_LOCKED', message);
  }
}

/**
 * A TLS connection refused because of the server's certificate (untrusted issuer, out of date, another name). Its code
 * is QCS_NETWORK, like every connection failure, but it is never retried: the next attempt meets the same certificate.
 */
export class CertificateError extends NetworkError {}
