/**
 * A small structured logger. Every line goes through a Redactor first, so a secret that reaches a message
 * by accident (an error from a library quoting a URL or header) is still never printed.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Register a value that must never be printed. Short values are ignored: masking "a" would mangle every line. */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 4) return;
    this.secrets.add(secret);
    // The same secret often travels URL-encoded (form bodies, query strings) or base64-encoded (Basic auth).
    this.secrets.add(encodeURIComponent(secret));
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out
      .replace(/(Bearer|Basic|ApiKey)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***')
      .replace(/([?&](?:password|token|access_token)=)[^&\s]+/gi, '$1***');
  }
}

export interface ConsoleLoggerOptions {
  /** Lowest level printed. Default: "info". */
  level?: LogLevel;
  /** Where lines go. Default: process.stderr, so stdout stays free for data ("-" outputs). */
  stream?: NodeJS.WritableStream;
  redactor?: Redactor;
}

export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = levelRank[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  const redactor = options.redactor ?? new Redactor();
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (levelRank[level] < min) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + safeJson(fields) : '';
    stream.write(redactor.redact(`${level}: ${message}${extra}`) + '\n');
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
