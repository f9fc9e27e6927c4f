/**
 * Which fields hold credentials, in one list for every place that keeps them out of sight: the Qualys client's and
 * the run's redactors, the config loader's messages, the audit manifest's copy of the config, the Elasticsearch
 * sink's dead letters and the redactor's query-string rule. A field added to any auth form is hidden everywhere once
 * its name is here (or contains a name here).
 */
export const SECRET_FIELD_NAMES = ['password', 'passphrase', 'token', 'bearer', 'apiKey', 'secret', 'credential'] as const;

/** The mappings whose every value is a credential, the username included: the source's and each sink's `auth`. */
export const CREDENTIAL_MAPPING = 'auth';

const squeeze = (key: string) => key.toLowerCase().replace(/[-_]/g, '');
const SQUEEZED = SECRET_FIELD_NAMES.map(squeeze);

/**
 * Whether a key names a credential: it contains one of SECRET_FIELD_NAMES, whatever its case and separators
 * (`api_key`, `accessToken`, `clientSecret`). Containing rather than equal, since hiding a value by mistake costs
 * nothing and printing a credential cannot be undone.
 */
export function isSecretField(key: string): boolean {
  const k = squeeze(key);
  return SQUEEZED.some((name) => k.includes(name));
}

/** Whether everything under a key may be a credential: a secret field, or an auth mapping (usernames too). */
export function isCredentialKey(key: string): boolean {
  return isSecretField(key) || key.toLowerCase().includes(CREDENTIAL_MAPPING);
}

/** What an auth object holds that must be hidden. */
export interface Credentials {
  /** The value of every secret field, at any depth. */
  secrets: string[];
  /** Each mapping with a username and a password: sent as a Basic header, base64 of "username:password". */
  logins: Array<{ username: string; password: string }>;
}

/**
 * The credentials in an auth object, in any of its shapes: a QualysAuth (`{ kind, username, password }`,
 * `{ kind, token }`), the config's auth mapping (`{ basic: { username, password } }`), a sink's (`{ apiKey }`).
 */
export function credentialsOf(auth: unknown): Credentials {
  const found: Credentials = { secrets: [], logins: [] };
  const visit = (value: unknown) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    const fields = value as Record<string, unknown>;
    const { username, password } = fields;
    if (typeof username === 'string' && typeof password === 'string') found.logins.push({ username, password });
    for (const [key, field] of Object.entries(fields)) {
      if (typeof field === 'string' && isSecretField(key)) found.secrets.push(field);
      else visit(field);
    }
  };
  visit(auth);
  return found;
}

/** Where credentials are registered: a Redactor. */
export interface CredentialRegistry {
  add(secret: string | undefined | null): void;
  addBasic(username: string, password: string | undefined | null): void;
}

/** Registers every credential of an auth object (see credentialsOf), Basic header forms included. */
export function registerCredentials(redactor: CredentialRegistry, auth: unknown): void {
  const { secrets, logins } = credentialsOf(auth);
  for (const secret of secrets) redactor.add(secret);
  for (const login of logins) redactor.addBasic(login.username, login.password);
}
