/** One HTTP answer, body fully read; header names lower-cased. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** Hides secrets in text before it is quoted. Required by every quoting function, so no call site can forget it. */
export type Redact = (text: string) => string;

/** What the server said about a failure, safe to quote in an error: the JSON message, or the start of the body. */
export function serverMessage(res: RawResponse, redact: Redact): string {
  const text = res.text.trim();
  if (text === '') return '';
  try {
    const body = JSON.parse(text) as { message?: unknown; errorCode?: unknown };
    if (typeof body.message === 'string') return printable(body.message, 300, redact);
    if (typeof body.errorCode === 'string') return printable(body.errorCode, 300, redact);
  } catch {
    // not JSON: quote the start of the text below
  }
  return printable(text, 300, redact);
}

/**
 * Secrets hidden, control characters flattened, then length capped, so a quoted body can neither leak a credential
 * nor garble a log line. Redaction comes before the cut: a cut can split a secret, and the half left over no longer
 * matches, so its first characters would be printed. It runs again after flattening, for a secret the server broke
 * with a newline; the first pass catches a secret that itself holds a control character (a tab in a password).
 */
export function printable(text: string, max: number, redact: Redact): string {
  const flat = redact(
    redact(text)
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim(),
  );
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
