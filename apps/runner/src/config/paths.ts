import { isCredentialKey } from '@qcs-export/core';

/** A key path inside the config, e.g. ["sinks", 1, "auth", "apiKey"]. */
export type KeyPath = Array<string | number>;

/** `sinks[1].auth.apiKey`, the form every message uses. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

export function samePath(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** Whether `path` is `prefix` or lies under it. */
export function isUnder(path: readonly (string | number)[], prefix: readonly (string | number)[]): boolean {
  return path.length >= prefix.length && prefix.every((p, i) => p === path[i]);
}

/**
 * Whether a value at `path` may be a credential, so a message may name the key but never show the value: anything
 * under a credential key (core's list) stays out of messages, which end up in CI logs and tickets.
 */
export function isSecretPath(path: readonly (string | number | symbol)[]): boolean {
  return path.some((p) => typeof p === 'string' && isCredentialKey(p));
}
