import type { ContainerFindingRecord, RunContainer, SlaStatus, SoftwareRecord, VulnerabilityCounts } from '@qcs-export/core/sink';

/** The most severe vulnerability a running container carries, by the words the sheets use; none, or unknown without counts. */
export const CARRIED = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'none', 'unknown'] as const;
export type Carried = (typeof CARRIED)[number];

/** Qualys' container state for a running container (states come uppercase). */
const RUNNING = 'RUNNING';
/** How the Summary shows a container without a state, and a namespace that is not known. */
export const NO_STATE = '(no state)';
export const NO_NAMESPACE = '(no namespace)';
export const TOP_NAMESPACES = 10;

export interface NamespaceTotal {
  namespace: string;
  /** Running containers in it with a CRITICAL or HIGH vulnerability. */
  urgent: number;
  running: number;
}

/** The most severe count above zero, or none; undefined without counts. */
function carriedBy(counts: VulnerabilityCounts | null | undefined): Carried | undefined {
  if (!counts) return undefined;
  if (counts.severity5Count > 0) return 'CRITICAL';
  if (counts.severity4Count > 0) return 'HIGH';
  if (counts.severity3Count > 0) return 'MEDIUM';
  if (counts.severity2Count > 0) return 'LOW';
  if (counts.severity1Count > 0) return 'INFO';
  return 'none';
}

const BY_SEVERITY: Record<number, Carried> = { 5: 'CRITICAL', 4: 'HIGH', 3: 'MEDIUM', 2: 'LOW', 1: 'INFO' };

/**
 * The most severe vulnerability a container carries: by its own counts when Qualys sent them, else by the counts or
 * the findings of the image it runs, when the run looked that image up; unknown when none of them says.
 */
export function carriedSeverity({ container, image }: RunContainer): Carried {
  const own = carriedBy(container.vulnerabilityCounts) ?? carriedBy(image?.vulnerabilityCounts);
  if (own) return own;
  const findings = image?.vulnerabilities;
  if (!findings) return 'unknown';
  const worst = Math.max(0, ...findings.map((f) => f.severity ?? 0));
  return BY_SEVERITY[worst] ?? 'none';
}

/**
 * The container figures of the Summary, gathered as container batches stream past. Memory is counters and one
 * entry per state and per namespace, never the rows.
 */
export class ContainerTotals {
  containers = 0;
  readonly byState = new Map<string, number>();
  readonly runningBy: Record<Carried, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0, none: 0, unknown: 0 };
  /** Findings of running containers (container-findings rows) by SLA status. */
  readonly runningFindingsBy: Record<SlaStatus, number> = { breached: 0, within: 0, exempted: 0, 'n/a': 0 };
  private readonly namespaces = new Map<string | null, { urgent: number; running: number }>();

  add(batch: readonly RunContainer[]): void {
    for (const item of batch) {
      const { container } = item;
      this.containers += 1;
      const state = container.state ?? NO_STATE;
      this.byState.set(state, (this.byState.get(state) ?? 0) + 1);
      if (container.state !== RUNNING) continue;
      const carried = carriedSeverity(item);
      this.runningBy[carried] += 1;
      const key = container.kubernetes?.namespace ?? null;
      const namespace = this.namespaces.get(key) ?? { urgent: 0, running: 0 };
      namespace.running += 1;
      if (carried === 'CRITICAL' || carried === 'HIGH') namespace.urgent += 1;
      this.namespaces.set(key, namespace);
    }
  }

  /** Container-findings rows: those of running containers, by SLA status. */
  addFindings(rows: readonly ContainerFindingRecord[]): void {
    for (const row of rows) if (row.containerState === RUNNING) this.runningFindingsBy[row.slaStatus] += 1;
  }

  /** States with the most containers first. */
  states(): Array<{ state: string; containers: number }> {
    return [...this.byState.entries()]
      .map(([state, containers]) => ({ state, containers }))
      .sort((a, b) => b.containers - a.containers || a.state.localeCompare(b.state));
  }

  /** The namespaces with the most running containers with a CRITICAL or HIGH vulnerability; none without any. */
  topNamespaces(n = TOP_NAMESPACES): NamespaceTotal[] {
    return [...this.namespaces.entries()]
      .filter(([, t]) => t.urgent > 0)
      .map(([namespace, t]) => ({ namespace: namespace ?? NO_NAMESPACE, ...t }))
      .sort((a, b) => b.urgent - a.urgent || b.running - a.running || a.namespace.localeCompare(b.namespace))
      .slice(0, n);
  }
}

/** The Software sheet's figures for the Summary: rows, and those past end of life or support. */
export class SoftwareTotals {
  packages = 0;
  pastEndOfLife = 0;
  pastEndOfSupport = 0;

  add(rows: readonly SoftwareRecord[]): void {
    for (const row of rows) {
      this.packages += 1;
      if (row.pastEndOfLife === true) this.pastEndOfLife += 1;
      if (row.pastEndOfSupport === true) this.pastEndOfSupport += 1;
    }
  }
}
