/**
 * A small structured logger. Every line goes through a Redactor first, so a secret that reaches a message
 * by accident (an error from a library quoting a URL or header) is still never printed.
 */
import { isSecretField } from './secret-fields.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Shortest secret matched by value. A shorter one ("a", "pw1") would also match inside ordinary words, numbers and
 * base64, mangling every line while hiding almost nothing; such a secret is not redacted by value, only by the
 * header and query patterns in redact(). Every encoded form is held to the same floor.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Hides registered secrets, in the forms they travel in, and anything that looks like a credential header or query
 * parameter. Redact a message before cutting it to length: a cut can split a secret, and the half left over no
 * longer matches, so its first characters would be printed.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  /** The secrets, longest first, so a form that contains another (padded base64, an escape) is hidden whole. */
  private ordered: string[] = [];

  /** Register a value that must never be printed, with its URL, form, JSON and base64 encodings. See MIN_SECRET_LENGTH. */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    const forms = [secret, ...base64Forms(Buffer.from(secret, 'utf8'))];
    for (const form of forms) for (const text of textForms(form)) this.register(text);
  }

  /**
   * Register Basic credentials: the password, and the header value, base64 of "user:password". The password's own
   * base64 is usually not inside that value (the "user:" prefix shifts its 3-byte alignment), so it is registered whole.
   * The header value is registered even for a password under MIN_SECRET_LENGTH: with the username it is long enough.
   */
  addBasic(username: string, password: string | undefined | null): void {
    this.add(password);
    if (!password) return;
    for (const form of base64Forms(Buffer.from(`${username}:${password}`, 'utf8'))) for (const text of textForms(form)) this.register(text);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.ordered) if (out.includes(s)) out = out.split(s).join('***');
    return out
      .replace(/(Bearer|Basic|ApiKey)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***')
      .replace(/([?&])([^=&\s]+)=[^&\s]+/g, (query, sep: string, name: string) => (isSecretField(name) ? `${sep}${name}=***` : query));
  }

  private register(form: string): void {
    if (form.length < MIN_SECRET_LENGTH || this.secrets.has(form)) return;
    this.secrets.add(form);
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }
}

/**
 * The forms a string takes inside URLs, form bodies and JSON bodies, where a server may echo it: percent-encoded
 * (upper- and lower-case hex, both are valid), form-encoded (space as "+", and URLSearchParams' stricter set), and
 * JSON-escaped (quotes and backslashes escaped; "/" escaped too by some serializers; non-ASCII as \uXXXX by others).
 */
function textForms(text: string): string[] {
  const uri = encodeURIComponent(text);
  const json = JSON.stringify(text).slice(1, -1);
  const forms = [
    text,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    uri.replace(/%20/g, '+'),
    new URLSearchParams({ s: text }).toString().slice(2),
    json,
    json.replace(/\//g, '\\/'),
    json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  ];
  return [...new Set(forms)];
}

/** Base64 as headers and tokens carry it: padded, unpadded, and base64url (RFC 4648 §5, unpadded). */
function base64Forms(bytes: Buffer): string[] {
  const padded = bytes.toString('base64');
  return [padded, padded.replace(/=+$/, ''), bytes.toString('base64url')];
}

/**
 * "text": `info: message {fields}` lines for people; "json": one object per line for log shippers, with the ECS names
 * `@timestamp`, `log.level` and `message` that Filebeat and Elastic Agent map without a pipeline.
 */
export type LogFormat = 'text' | 'json';

export interface ConsoleLoggerOptions {
  /** Lowest level printed. Default: "info". */
  level?: LogLevel;
  /** Default: "text". */
  format?: LogFormat;
  /**
   * Start text lines with an ISO 8601 time. Default: when the stream is not a terminal (cron mail, CI logs, files),
   * where a line is read long after it was written; a person at a terminal sees the time pass. JSON lines always
   * carry the time.
   */
  timestamps?: boolean;
  /** Where lines go. Default: process.stderr, so stdout stays free for data ("-" outputs). */
  stream?: NodeJS.WritableStream;
  redactor?: Redactor;
  /** Default: Date.now. */
  now?: () => number;
}

export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = levelRank[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  const redactor = options.redactor ?? new Redactor();
  const now = options.now ?? Date.now;
  const timestamps = options.timestamps ?? !(stream as { isTTY?: boolean }).isTTY;
  const line =
    options.format === 'json'
      ? (level: LogLevel, message: string, fields?: Record<string, unknown>) =>
          safeJson({ '@timestamp': new Date(now()).toISOString(), 'log.level': level, message, ...fields })
      : (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
          const extra = fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
          return `${timestamps ? `${new Date(now()).toISOString()} ` : ''}${level}: ${message}${extra}`;
        };
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (levelRank[level] < min) return;
    // Redacted as a whole line: the secrets are registered in their JSON-escaped forms too.
    stream.write(`${redactor.redact(line(level, message, fields))}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (x instanceof Error ? { name: x.name, message: x.message } : x));
  } catch {
    return String(v);
  }
}
