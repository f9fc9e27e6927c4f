/** One HTTP answer, body fully read; header names lower-cased. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** What the server said about a failure, safe to quote in an error: the JSON message, or the start of the body. */
export function serverMessage(res: RawResponse): string {
  const text = res.text.trim();
  if (text === '') return '';
  try {
    const body = JSON.parse(text) as { message?: unknown; errorCode?: unknown };
    if (typeof body.message === 'string') return printable(body.message, 300);
    if (typeof body.errorCode === 'string') return printable(body.errorCode, 300);
  } catch {
    // not JSON: quote the start of the text below
  }
  return printable(text, 300);
}

/** Control characters flattened and length capped, so a quoted body cannot garble a log line. */
export function printable(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
