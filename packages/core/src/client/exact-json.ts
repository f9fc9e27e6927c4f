/**
 * JSON.parse, except that an integer literal too large for a double (beyond ±(2^53 − 1)) becomes a string of its exact
 * digits instead of a nearby number: an id of 2^63 scale would otherwise reach every output quietly changed. Node 20's
 * JSON.parse hands a reviver no source text, so the literals are found first, by a scan that skips strings, and quoted.
 * Fractions and exponents are left alone: they are approximate by nature. `quoted` is told the key each such literal
 * belongs to (the nearest key before it), so the caller can say which fields hold them. Throws what JSON.parse throws.
 */
export function parseJsonExact(text: string, quoted?: (key: string) => void): unknown {
  // Sixteen digits in a row are needed to pass 2^53 (9007199254740991 has 16): most answers have none and skip the scan.
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  return JSON.parse(quoteUnsafeIntegers(text, quoted));
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The text with every unsafe integer literal outside a string put in quotes; everything else byte for byte. */
export function quoteUnsafeIntegers(text: string, quoted?: (key: string) => void): string {
  const parts: string[] = [];
  let copiedTo = 0;
  let i = 0;
  let key = '';
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = endOfString(text, i);
      let next = end;
      while (next < n && isSpace(text.charCodeAt(next))) next++;
      if (quoted && text.charCodeAt(next) === 0x3a) key = text.slice(i + 1, end - 1);
      i = end;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      if (c === 0x2d) i++;
      const digitsStart = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const digitsEnd = i;
      // The rest of a number token: a fraction or an exponent makes it a non-integer, left as it is.
      let integer = true;
      while (i < n && isNumberChar(text.charCodeAt(i))) {
        integer = false;
        i++;
      }
      if (integer && digitsEnd - digitsStart >= 16) {
        const literal = text.slice(start, digitsEnd);
        const magnitude = BigInt(text.slice(digitsStart, digitsEnd));
        if (magnitude > MAX_SAFE) {
          parts.push(text.slice(copiedTo, start), `"${literal}"`);
          copiedTo = digitsEnd;
          quoted?.(key);
        }
      }
      continue;
    }
    i++;
  }
  if (copiedTo === 0) return text;
  parts.push(text.slice(copiedTo));
  return parts.join('');
}

/** The index just past the string that opens at `open` (or the end of the text, for an unterminated one). */
function endOfString(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Characters that may continue a number token after its integer part: . e E + - and digits. */
function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}
