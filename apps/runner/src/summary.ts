import type { RunResult } from './run.js';

const n = (x: number) => x.toLocaleString('en-US');

export function formatSummary(r: RunResult): string {
  const seconds = r.durationMs / 1000;
  const lines = [
    `exported ${n(r.records)} images from ${r.source} in ${seconds.toFixed(1)} s (${n(Math.round(r.records / Math.max(seconds, 0.001)))}/s)`,
    `  pages ${n(r.pages)} · requests ${n(r.requests)} · retries ${n(r.retries)} · rate-limit waits ${n(r.rateLimitWaits)}` +
      (r.duplicatesDropped ? ` · duplicates dropped ${n(r.duplicatesDropped)}` : ''),
  ];
  for (const s of r.sinks) {
    lines.push(`  ${s.type} → ${s.target}: ${n(s.records)} records${s.rejected ? `, ${n(s.rejected)} REJECTED` : ''}${s.bytes !== undefined ? `, ${n(s.bytes)} bytes` : ''}`);
    for (const [k, v] of Object.entries(s.details ?? {})) lines.push(`      ${k}: ${String(v)}`);
  }
  return lines.join('\n');
}
