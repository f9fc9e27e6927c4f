import { z } from 'zod';
import type { RecordShape } from '../columns/columns.js';
import type { FindingRecord } from '../findings/finding-record.js';
import { findingRows, type FindingRowOptions } from '../findings/finding-rows.js';
import type { ImageRecord } from '../record.js';
import type { RunContext } from '../sink/contract.js';
import { FINDING_SHAPE, PACKAGE_SHAPE } from './finding-columns.js';
import { IMAGE_SHAPE } from './image-columns.js';

/** Which rows a sink writes: one per image (the inventory), per image × QID, or per image × QID × affected package. */
export const RECORD_GRAINS = ['images', 'findings', 'packages'] as const;
export type RecordGrain = (typeof RECORD_GRAINS)[number];

/** The `records` option of a sink that can write any grain. */
export const recordsOption = z
  .enum(RECORD_GRAINS)
  .default('images')
  .meta({
    description:
      'What one row (or document) is: `images` (one per image), `findings` (one per image × vulnerability) ' +
      'or `packages` (one per image × vulnerability × affected package). `findings` and `packages` need `source.vulnerabilities`.',
  });

/**
 * How a sink makes finding rows: ages and SLAs measured at the export's start, with the run's SLA policy, and with a
 * run to compare with, each row's change (new or open).
 */
export function findingRowOptions(ctx: Pick<RunContext, 'startedAt' | 'sla' | 'compare'>): FindingRowOptions {
  const compare = ctx.compare;
  return {
    now: ctx.startedAt,
    ...(ctx.sla ? { sla: ctx.sla } : {}),
    ...(compare ? { changeOf: (sha: string, qid: number) => compare.changeOf(sha, qid) } : {}),
  };
}

/** The rows a batch of images gives at a grain; every sink of a run measures ages and SLAs at the export's start. */
export function rowsOf(
  batch: readonly ImageRecord[],
  grain: RecordGrain,
  ctx: Pick<RunContext, 'startedAt' | 'sla' | 'compare'>,
): ReadonlyArray<ImageRecord | FindingRecord> {
  if (grain === 'images') return batch;
  const options = findingRowOptions(ctx);
  return batch.flatMap((image) => findingRows(image, grain, options));
}

/** The column shape of a grain. */
export function shapeOf(grain: RecordGrain): RecordShape<ImageRecord> | RecordShape<FindingRecord> {
  return grain === 'images' ? IMAGE_SHAPE : grain === 'findings' ? FINDING_SHAPE : PACKAGE_SHAPE;
}
