import type { AnySinkPlugin } from '@qcs-export/core';
import { sha256 } from '../audit/redacted-config.js';
import { isSimulatorSource, type Config } from '../config/schema.js';
import { stateTargetOf } from '../sink-declarations.js';
import type { RunState, SinkIdentity } from './state-file.js';

/** What a state is valid for: the subscription, the filter and the sinks that acknowledged its high-water mark. */
export interface StateIdentity {
  subscription: RunState['subscription'];
  filterSha256: string;
  sinks: SinkIdentity[];
}

/**
 * The identity a state written for this config carries. Each sink's target and grain are what its plugin declares
 * (stateTarget), so the runner reads no sink's option names.
 */
export function identityOf(config: Config, plugins: ReadonlyMap<string, AnySinkPlugin>): StateIdentity {
  const source = config.source;
  const subscription = isSimulatorSource(source)
    ? { target: `simulator (seed ${source.simulator.seed}, ${source.simulator.images} images)`, user: null }
    : { target: source.baseUrl.replace(/\/+$/, ''), user: userOf(source.auth) };
  return {
    subscription,
    filterSha256: sha256(source.filter?.trim() ?? ''),
    sinks: config.sinks.map((s) => ({ name: s.name, type: s.type, ...stateTargetOf(plugins.get(s.type), s.type, s.options) })),
  };
}

function userOf(auth: unknown): string | null {
  const a = auth as { username?: string; basic?: { username?: string } };
  return a.username ?? a.basic?.username ?? null;
}
