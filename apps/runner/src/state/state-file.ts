import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { StateInvalidError } from '@qcs-export/core';
import { writeJsonAtomically } from '../audit/write-json.js';

const STATE_VERSION = 1;

/** One image the sinks already have at its `updated` time, near the high-water mark: re-read by the lookback, then dropped. */
const overlapEntry = z.strictObject({ sha: z.string().min(1), updated: z.string() });

const sinkIdentity = z.strictObject({ name: z.string(), type: z.string(), records: z.string(), target: z.string().nullable() });
export type SinkIdentity = z.output<typeof sinkIdentity>;

export const runStateSchema = z.strictObject({
  stateVersion: z.literal(STATE_VERSION),
  /** Which subscription this state belongs to: the gateway and the user, never a credential. */
  subscription: z.strictObject({ target: z.string(), user: z.string().nullable() }),
  /** SHA-256 of the config's filter (empty for none): the state is only valid for the same question. */
  filterSha256: z.string(),
  /** The sinks that acknowledged every record up to the high-water mark. */
  sinks: z.array(sinkIdentity),
  /** The largest image `updated` time every sink has committed (ISO), or null when no image was seen yet. */
  highWaterMark: z.string().nullable(),
  overlap: z.array(overlapEntry),
  lastRun: z.strictObject({ runId: z.string(), startedAt: z.string(), endedAt: z.string(), mode: z.enum(['full', 'incremental']) }),
});
export type RunState = z.output<typeof runStateSchema>;

/** The state at `path`, or undefined when there is none yet; anything else unreadable fails the run before it starts. */
export async function readState(path: string): Promise<RunState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateInvalidError(`cannot read the state file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateInvalidError(
      `the state file ${path} is not valid JSON; it was not written by qcs-export (whose writes are atomic) or was edited. ` +
        'Restore it, or run with --full-refresh to start a new one.',
    );
  }
  const result = runStateSchema.safeParse(parsed);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new StateInvalidError(
      `the state file ${path} is not a qcs-export state of this version (${first ? `${first.path.join('.') || 'top'}: ${first.message}` : 'unknown shape'}). ` +
        'Restore it, or run with --full-refresh to start a new one.',
    );
  }
  return result.data;
}

export async function writeState(path: string, state: RunState): Promise<void> {
  await writeJsonAtomically(path, state);
}

export { STATE_VERSION };
