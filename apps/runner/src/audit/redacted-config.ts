import { createHash } from 'node:crypto';
import { isSecretField, type AnySinkPlugin, type SinkPlugin } from '@qcs-export/core';
import type { Config } from '../config/schema.js';

const REDACTED = '[redacted]';

/**
 * The effective config (after defaults and interpolation) with every secret replaced by "[redacted]": the source's
 * credentials, every value a sink declares secret, and any other text equal to a registered secret. What a manifest
 * shows of the config, and what its hash is taken of, so two runs with the same settings have the same hash
 * whatever their passwords.
 */
export function redactedConfig(config: Config, plugins: ReadonlyMap<string, AnySinkPlugin>, redact: (text: string) => string): unknown {
  const sinkSecrets = config.sinks.flatMap((s) => (plugins.get(s.type) as SinkPlugin<unknown> | undefined)?.secrets?.(s.options) ?? []);
  const hide = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return (key !== undefined && isSecretField(key)) || sinkSecrets.includes(value) ? REDACTED : redact(value);
    if (Array.isArray(value)) return value.map((v) => hide(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hide(v, k)]));
    }
    return value;
  };
  return hide({ source: config.source, sinks: config.sinks.map((s) => ({ type: s.type, name: s.name, ...(s.options as object) })), run: config.run });
}

/** JSON with keys in sorted order at every level, so a hash does not depend on the order options were written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
