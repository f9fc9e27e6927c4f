import type { IsoDate } from '../record.js';
import { DEFAULT_SLA, type SlaPolicy } from '../sla-policy.js';

/** Where a finding stands against its fix deadline; the same word in every sink and sheet (SLA_STATUS_MEANINGS). */
export type SlaStatus = 'breached' | 'within' | 'exempted' | 'n/a';

/** What each status means, for the README, the SLA sheet and anyone who asks. */
export const SLA_STATUS_MEANINGS: Readonly<Record<SlaStatus, string>> = {
  breached: 'open past its due date (first found + the SLA days for its severity)',
  within: 'open, not yet due',
  exempted: 'under a Qualys exception: kept apart from the breach figures whatever its dates',
  'n/a': 'no first-found date or no known severity, so no due date',
};

export interface SlaFields {
  /** Whole days since the finding was first found; null without firstFound. */
  ageDays: number | null;
  /** Days the policy allows for this severity; null when the severity is unknown. */
  slaDays: number | null;
  /** firstFound + slaDays. */
  slaDueAt: IsoDate | null;
  slaStatus: SlaStatus;
  /** Whole days past slaDueAt when breached, 0 within, null when n/a or exempted. */
  daysOverdue: number | null;
}

const DAY_MS = 86_400_000;

/**
 * The SLA fields of one open finding at `now` (the export's start time, so every row and every sink agree). Whole
 * days are counted down: a finding found 29.9 days ago is 29 days old. An exempted finding keeps its age and due date,
 * for the record, but is neither breached nor overdue.
 */
export function slaFields(severity: number | null, firstFound: IsoDate | null, now: Date, policy: SlaPolicy = DEFAULT_SLA, exempted = false): SlaFields {
  const found = firstFound === null ? Number.NaN : Date.parse(firstFound);
  const ageDays = Number.isNaN(found) ? null : Math.max(0, Math.floor((now.getTime() - found) / DAY_MS));
  const slaDays = severity !== null && severity >= 1 && severity <= 5 && Number.isInteger(severity) ? policy[severity as 1 | 2 | 3 | 4 | 5] : null;
  if (ageDays === null || slaDays === null) return { ageDays, slaDays, slaDueAt: null, slaStatus: exempted ? 'exempted' : 'n/a', daysOverdue: null };
  const due = found + slaDays * DAY_MS;
  const slaDueAt = new Date(due).toISOString();
  if (exempted) return { ageDays, slaDays, slaDueAt, slaStatus: 'exempted', daysOverdue: null };
  const breached = now.getTime() > due;
  return { ageDays, slaDays, slaDueAt, slaStatus: breached ? 'breached' : 'within', daysOverdue: breached ? Math.floor((now.getTime() - due) / DAY_MS) : 0 };
}
