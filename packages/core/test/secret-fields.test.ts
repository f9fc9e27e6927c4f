import { describe, expect, it } from 'vitest';
import { credentialsOf, isCredentialKey, isSecretField, type QualysAuth, Redactor, registerCredentials, SECRET_FIELD_NAMES } from '../src/index.js';

const PASSWORD = 'pw-Zq7/k+x9Lm';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.e30.sig-123';
const basicHeader = (user: string, pass: string) => Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');

function hiddenBy(auth: unknown, text: string): string {
  const redactor = new Redactor();
  registerCredentials(redactor, auth);
  return redactor.redact(text);
}

describe('the secret fields: one list (issue 18)', () => {
  it('names every credential key, whatever its case and separators', () => {
    for (const name of SECRET_FIELD_NAMES) expect(isSecretField(name), name).toBe(true);
    for (const key of ['api_key', 'API-KEY', 'accessToken', 'access_token', 'clientSecret', 'keyPassphrase', 'Bearer'])
      expect(isSecretField(key), key).toBe(true);
    for (const key of ['username', 'baseUrl', 'kind', 'caFingerprint', 'index', 'path', 'auth']) expect(isSecretField(key), key).toBe(false);
  });

  it('an auth mapping is a credential as a whole, its username included; a username alone is not', () => {
    expect(isCredentialKey('auth')).toBe(true);
    expect(isCredentialKey('password')).toBe(true);
    expect(isCredentialKey('username')).toBe(false);
  });

  it.each<[string, QualysAuth, string[]]>([
    ['jwt', { kind: 'jwt', username: 'alice', password: PASSWORD }, [PASSWORD]],
    ['token', { kind: 'token', token: TOKEN }, [TOKEN]],
    ['basic', { kind: 'basic', username: 'alice', password: PASSWORD }, [PASSWORD, basicHeader('alice', PASSWORD)]],
  ])('a Qualys %s login: its credentials are hidden, its username is not', (_kind, auth, secrets) => {
    const text = `user alice sent ${secrets.join(' and ')}`;
    const out = hiddenBy(auth, text);
    for (const secret of secrets) expect(out).not.toContain(secret);
    expect(out).toContain('user alice');
  });

  it("the config's and a sink's auth shapes, nested or not", () => {
    expect(credentialsOf({ basic: { username: 'bob', password: PASSWORD } })).toEqual({
      secrets: [PASSWORD],
      logins: [{ username: 'bob', password: PASSWORD }],
    });
    expect(credentialsOf({ apiKey: 'a2V5OnNlY3JldA==' }).secrets).toEqual(['a2V5OnNlY3JldA==']);
    expect(credentialsOf({ bearer: TOKEN }).secrets).toEqual([TOKEN]);
    expect(credentialsOf(undefined)).toEqual({ secrets: [], logins: [] });
    expect(hiddenBy({ username: 'bob', password: PASSWORD }, `Basic ${basicHeader('bob', PASSWORD)}`)).not.toContain(basicHeader('bob', PASSWORD));
  });

  it("the redactor's query-string rule hides every field of the list", () => {
    const out = new Redactor().redact('GET /x?page=2&api_key=abc123def&accessToken=zzz999yy&passphrase=qq11ww22&sort=updated');
    expect(out).toBe('GET /x?page=2&api_key=***&accessToken=***&passphrase=***&sort=updated');
  });
});
