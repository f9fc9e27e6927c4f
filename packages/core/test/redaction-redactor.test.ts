import { describe, expect, it } from 'vitest';
import { printable } from '../src/client/answer-text.js';
import { MIN_SECRET_LENGTH, Redactor } from '../src/index.js';

// Quote, backslash, space, slash, '+', '%', '&', '=' and a non-ASCII letter: every encoding below changes it.
const SECRET = 'Zq"7\\ k&=+%x9/Lm\u00e9';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

function redactorWith(secret: string): Redactor {
  const r = new Redactor();
  r.add(secret);
  return r;
}

describe('Redactor: the forms a secret travels in', () => {
  const forms: Record<string, string> = {
    raw: SECRET,
    encodeURIComponent: encodeURIComponent(SECRET),
    'percent-encoding in lower-case hex': encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    'form encoding, "+" for spaces': encodeURIComponent(SECRET).replace(/%20/g, '+'),
    'URLSearchParams form body': new URLSearchParams({ password: SECRET }).toString().replace(/^password=/, ''),
    'JSON string escaping': JSON.stringify(SECRET).slice(1, -1),
    'JSON escaping with "\\/"': JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/'),
    'JSON escaping with non-ASCII as \\uXXXX': JSON.stringify(SECRET).slice(1, -1).replace('\u00e9', '\\u00e9'),
    base64: b64(SECRET),
    'base64 without padding': b64(SECRET).replace(/=+$/, ''),
    base64url: b64url(SECRET),
  };

  it.each(Object.entries(forms))('hides the %s form', (_name, form) => {
    const out = redactorWith(SECRET).redact(`before ${form} after`);
    expect(out).toBe('before *** after');
  });

  it('hides the secret inside a JSON body the way a server serialises it', () => {
    const body = JSON.stringify({ message: `login failed for password ${SECRET}` });
    expect(redactorWith(SECRET).redact(body)).toBe('{"message":"login failed for password ***"}');
  });

  it('hides the base64 form whole, padding included', () => {
    const padded = b64('abcd');
    expect(padded.endsWith('=')).toBe(true);
    expect(redactorWith('abcd').redact(`x ${padded} y`)).toBe('x *** y');
  });
});

describe('Redactor.addBasic', () => {
  it('hides the Basic header value, base64 of "user:password", in every form, and the password', () => {
    const r = new Redactor();
    r.addBasic('u@corp', SECRET);
    const value = b64(`u@corp:${SECRET}`);
    // A bare value is not caught by the "Basic <value>" pattern: only the registered combination finds it.
    for (const form of [value, b64url(`u@corp:${SECRET}`), encodeURIComponent(value), value.replace(/=+$/, '')]) {
      expect(r.redact(`echo ${form} end`)).toBe('echo *** end');
    }
    expect(r.redact(`pw ${SECRET} end`)).toBe('pw *** end');
  });

  it('hides the header value even when the password is too short to match alone', () => {
    const r = new Redactor();
    r.addBasic('someone', 'pw');
    expect(r.redact(`echo ${b64('someone:pw')} end`)).toBe('echo *** end');
    expect(r.redact('pw stays: upward')).toBe('pw stays: upward');
  });
});

describe(`Redactor: secrets shorter than ${MIN_SECRET_LENGTH} characters`, () => {
  it('are not matched inside other text, which they would mangle', () => {
    expect(MIN_SECRET_LENGTH).toBe(4);
    const r = new Redactor();
    r.add('a');
    r.add('pw1');
    expect(r.redact('a banana; pw123')).toBe('a banana; pw123');
  });

  it('are still hidden where they appear as a credential header', () => {
    expect(new Redactor().redact('Authorization: Bearer abcdefgh1234')).toBe('Authorization: Bearer ***');
  });
});

describe('printable: redaction before the cut', () => {
  it('never leaves a prefix of a secret, wherever the cut falls', () => {
    const r = redactorWith(SECRET);
    const forms = [SECRET, encodeURIComponent(SECRET), JSON.stringify(SECRET).slice(1, -1), b64(SECRET)];
    for (const form of forms) {
      for (let inside = 1; inside <= form.length + 1; inside++) {
        const text = `${'-'.repeat(50 - inside)}${form} end`;
        const out = printable(text, 50, (t) => r.redact(t));
        for (const f of forms) expect(out, `cut ${inside} characters into ${form}`).not.toContain(f.slice(0, 4));
      }
    }
  });

  it('hides a secret the server broke with a newline, and one that itself holds a tab', () => {
    const spaced = redactorWith('ab cd efgh');
    expect(printable('x ab\ncd efgh y', 100, (t) => spaced.redact(t))).toBe('x *** y');
    const tabbed = redactorWith('ab\tcd efgh');
    expect(printable('x ab\tcd efgh y', 100, (t) => tabbed.redact(t))).toBe('x *** y');
  });
});
