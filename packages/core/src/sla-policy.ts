/**
 * The SLA policy is read by two layers that must not know each other: the sink contract carries the run's policy
 * (RunContext.sla) and the findings model applies it. It lives below both.
 */

/** Days to fix a finding, by Qualys severity. */
export type SlaPolicy = Readonly<Record<1 | 2 | 3 | 4 | 5, number>>;

/**
 * The default: 30 days for severity 5 and 4 (PCI DSS 6.3.3's month for critical and high; FedRAMP's 30 days), 90 for
 * 3 (FedRAMP moderate), 180 for 2 and 1.
 */
export const DEFAULT_SLA: SlaPolicy = { 5: 30, 4: 30, 3: 90, 2: 180, 1: 180 };
