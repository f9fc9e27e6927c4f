import type { ContainersRead, RunResult } from './run/result.js';
import type { ScheduledRunResult } from './run/scheduled-run.js';

const n = (x: number) => x.toLocaleString('en-US');
/** "1 image", "2,000 images": a count with its noun in the number it needs (nouns here take an s). */
const of = (x: number, noun: string) => `${n(x)} ${x === 1 ? noun : `${noun}s`}`;

export function formatSummary(r: ScheduledRunResult | RunResult): string {
  const seconds = r.durationMs / 1000;
  const counted =
    r.countAtEnd === undefined
      ? ''
      : r.expectedAtStart === undefined || r.expectedAtStart === r.countAtEnd
        ? ` · Qualys counts ${n(r.countAtEnd)}`
        : ` · Qualys counted ${n(r.expectedAtStart)} at the start, ${n(r.countAtEnd)} at the end`;
  const lines: string[] = [];
  if (r.imagesRead) {
    lines.push(
      `exported ${of(r.records, 'image')} from ${r.source} in ${seconds.toFixed(1)} s` +
        `${r.records > 0 ? ` (${n(Math.round(r.records / Math.max(seconds, 0.001)))}/s)` : ''}${counted}`,
      `  strategy ${r.strategy ?? '?'}: ${r.strategyReason ?? ''}` +
        (r.changedDuringRun ? ` · ${n(r.changedDuringRun)} changed during the run` : '') +
        (r.repairPasses ? ` · ${n(r.repairPasses)} repair passes` : ''),
    );
  }
  if (r.containers) lines.push(...containerLines(r.containers, r.imagesRead ? undefined : { source: r.source, seconds }));
  lines.push(
    `  pages ${n(r.pages + (r.containers?.pages ?? 0))} · requests ${n(r.requests)} · retries ${n(r.retries)} · rate-limit waits ${n(r.rateLimitWaits)}` +
      (r.duplicatesDropped ? ` · duplicates dropped ${n(r.duplicatesDropped)}` : '') +
      (r.rereadToVerify ? ` · ${n(r.rereadToVerify)} read again to verify the pages` : ''),
  );
  if (r.enrichment) {
    const e = r.enrichment;
    lines.push(
      `  vulnerabilities: ${of(e.findings, 'finding')} from ${of(e.calls, 'call')}` +
        (e.skippedClean ? ` · ${of(e.skippedClean, 'image')} listed clean needed no call` : '') +
        (e.exempted ? ` · ${n(e.exempted)} under an exception (exported, exempted; ${n(e.exceptionCalls)} exception calls)` : '') +
        (e.exceptionsForbidden ? ` · exceptions of ${n(e.exceptionsForbidden)} images FORBIDDEN (403; no reason or end date)` : '') +
        (e.notScanned ? ` · ${of(e.notScanned, 'image')} never scanned (counts empty, not 0)` : '') +
        (e.missing ? ` · ${of(e.missing, 'image')} GONE since the list (exported without findings, e.g. ${e.missingShas[0] ?? '?'})` : ''),
    );
    if (e.countMismatches) {
      const example = e.mismatchExamples[0];
      lines.push(
        `  ${n(e.countMismatches)} images' list counts DISAGREE with their findings` +
          (example ? ` (e.g. ${example.sha}: list ${n(example.listed.total)}, findings ${n(example.found.total)}); see the warning above` : ''),
      );
    }
  }
  if (r.software) {
    const w = r.software;
    lines.push(
      `  software: ${of(w.packages, 'package')} from ${of(w.calls, 'call')}` +
        (w.imagesWithoutSoftware ? ` · ${n(w.imagesWithoutSoftware)} images with none listed` : '') +
        (w.missing ? ` · ${n(w.missing)} images GONE since the list (exported without software, e.g. ${w.missingShas[0] ?? '?'})` : ''),
    );
  }
  if ('state' in r && r.state) {
    const st = r.state;
    lines.push(
      `  state ${st.path}: ${st.mode === 'incremental' ? `incremental, images updated since ${st.since}` : `full run (${st.reason})`}` +
        (st.overlapSkipped ? ` · ${n(st.overlapSkipped)} re-read images already delivered, dropped` : '') +
        (st.updated ? ` · high-water mark now ${st.highWaterMark ?? 'none'}` : ' · NOT updated'),
    );
  }
  if ('manifest' in r && r.manifest) lines.push(`  manifest ${r.manifest} (run ${r.runId})`);
  if ('compare' in r && r.compare) {
    const c = r.compare;
    const gone = c.goneImages.slice(0, 5).join(', ') + (c.imagesGone > 5 ? `, … (${n(c.imagesGone - 5)} more in the manifest)` : '');
    lines.push(
      `  since ${c.manifest}${c.previousStartedAt ? ` (${c.previousStartedAt})` : ''}: ${n(c.new)} new findings, ${n(c.open)} still open, ${n(c.fixed)} fixed` +
        ` · ${of(c.imagesGone, 'image')} gone${c.imagesGone > 0 ? `: ${gone}` : ''}`,
    );
  }
  if (r.severityCounts === 'absent') {
    lines.push('  severity counts: ABSENT for images read with the bulk API, which does not report them: their counts are empty (null), not 0');
  }
  for (const s of r.sinks) {
    lines.push(
      `  ${s.type} → ${s.target}: ${n(s.records)} records` +
        `${s.rejected ? `, ${n(s.rejected)} REJECTED` : ''}${s.bytes !== undefined ? `, ${n(s.bytes)} bytes` : ''}`,
    );
    for (const [k, v] of Object.entries(s.details ?? {})) lines.push(`      ${k}: ${String(v)}`);
  }
  return lines.join('\n');
}

/** The containers a run read, and the image lookups their findings took. */
function containerLines(c: ContainersRead, headline: { source: string; seconds: number } | undefined): string[] {
  const counted =
    c.countAtEnd === undefined
      ? ''
      : c.expectedAtStart === undefined || c.expectedAtStart === c.countAtEnd
        ? ` · Qualys counts ${n(c.countAtEnd)}`
        : ` · Qualys counted ${n(c.expectedAtStart)} at the start, ${n(c.countAtEnd)} at the end`;
  const filter = c.filter === undefined ? 'every container' : `filter ${c.filter}`;
  const lines = [
    headline
      ? `exported ${of(c.records, 'container')} (${filter}) from ${headline.source} in ${headline.seconds.toFixed(1)} s${counted}`
      : `  containers: ${n(c.records)} (${filter})${counted}`,
    `  containers strategy ${c.strategy ?? '?'}: ${c.strategyReason ?? ''}` +
      (c.changedDuringRun ? ` · ${n(c.changedDuringRun)} changed during the run` : '') +
      (c.duplicatesDropped ? ` · duplicates dropped ${n(c.duplicatesDropped)}` : '') +
      (c.rereadToVerify ? ` · ${n(c.rereadToVerify)} read again to verify the pages` : ''),
  ];
  const l = c.imageLookups;
  if (l) {
    lines.push(
      `  images the containers run: ${n(l.calls)} looked up once each, ${of(l.findings, 'finding')}` +
        (l.reused ? ` · ${n(l.reused)} already read with the images (no call)` : '') +
        (l.exceptionCalls ? ` · ${n(l.exceptionCalls)} exception calls` : '') +
        (l.imagesNotFound ? ` · ${n(l.imagesNotFound)} images GONE from Qualys (their containers have no findings, e.g. ${l.notFoundShas[0] ?? '?'})` : '') +
        (l.containersWithoutImage ? ` · ${n(l.containersWithoutImage)} containers name no image (no findings)` : ''),
    );
  }
  return lines;
}
