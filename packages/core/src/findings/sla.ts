import type { IsoDate } from '../record.js';
import { DEFAULT_SLA, type SlaPolicy } from '../sla-policy.js';

export type SlaStatus = 'within' | 'breached' | 'n/a';

export interface SlaFields {
  /** Whole days since the finding was first found; null without firstFound. */
  ageDays: number | null;
  /** Days the policy allows for this severity; null when the severity is unknown. */
  slaDays: number | null;
  /** firstFound + slaDays. */
  slaDueAt: IsoDate | null;
  /** "breached" once the export time is past slaDueAt; "n/a" when either date or severity is unknown. */
  slaStatus: SlaStatus;
  /** Whole days past slaDueAt when breached, 0 within, null when n/a. */
  daysOverdue: number | null;
}

const DAY_MS = 86_400_000;

/**
 * The SLA fields of one open finding at `now` (the export's start time, so every row and every sink agree). Whole
 * days are counted down: a finding found 29.9 days ago is 29 days old.
 */
export function slaFields(severity: number | null, firstFound: IsoDate | null, now: Date, policy: SlaPolicy = DEFAULT_SLA): SlaFields {
  const found = firstFound === null ? Number.NaN : Date.parse(firstFound);
  const ageDays = Number.isNaN(found) ? null : Math.max(0, Math.floor((now.getTime() - found) / DAY_MS));
  const slaDays = severity !== null && severity >= 1 && severity <= 5 && Number.isInteger(severity) ? policy[severity as 1 | 2 | 3 | 4 | 5] : null;
  if (ageDays === null || slaDays === null) return { ageDays, slaDays, slaDueAt: null, slaStatus: 'n/a', daysOverdue: null };
  const due = found + slaDays * DAY_MS;
  const breached = now.getTime() > due;
  return {
    ageDays,
    slaDays,
    slaDueAt: new Date(due).toISOString(),
    slaStatus: breached ? 'breached' : 'within',
    daysOverdue: breached ? Math.floor((now.getTime() - due) / DAY_MS) : 0,
  };
}
