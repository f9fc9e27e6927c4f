import { z } from 'zod';
import type { RecordShape } from '../columns/columns.js';
import type { FindingRecord } from '../findings/finding-record.js';
import { findingRows, type FindingRowOptions } from '../findings/finding-rows.js';
import type { ImageRecord } from '../record.js';
import type { FindingsDemand, RunContext, SinkPlugin } from '../sink/contract.js';
import { FINDING_GRAINS, RECORD_GRAINS, type RecordGrain } from '../record-grains.js';

export { CONTAINER_GRAINS, FINDING_GRAINS, grainReads, RECORD_GRAINS, type RecordGrain } from '../record-grains.js';
import type { ContainerRecord, RunContainer } from '../container-record.js';
import type { ContainerFindingRecord } from '../findings/container-finding-record.js';
import { containerFindingRows } from '../findings/container-finding-rows.js';
import { repoTagText } from '../record-text.js';
import type { SoftwareRecord } from '../software-record.js';
import { softwareRows } from '../findings/software-rows.js';
import { CONTAINER_FINDING_SHAPE, CONTAINER_SHAPE } from './container-columns.js';
import { FINDING_SHAPE, PACKAGE_SHAPE } from './finding-columns.js';
import { IMAGE_SHAPE } from './image-columns.js';
import { SOFTWARE_SHAPE } from './software-columns.js';

/**
 * Whether these grains need each image's findings (source.vulnerabilities), as a sink plugin's needsFindings() says:
 * the option that asks for them and how a message names it, or false.
 */
export function findingsDemandOf(grains: RecordGrain | readonly RecordGrain[], option = 'records'): false | FindingsDemand {
  const list: readonly RecordGrain[] = typeof grains === 'string' ? [grains] : grains;
  const first = list.find((g) => FINDING_GRAINS.includes(g));
  return first === undefined ? false : { option, setting: `${option}: ${first}` };
}

/** Whether a grain's rows include the fixed findings of a compared run (`run --compare-to`): image findings only. */
export function takesFixedFindingsAt(grain: RecordGrain): boolean {
  return grain === 'findings' || grain === 'packages';
}

/** The row type of each grain. */
export interface GrainRows {
  images: ImageRecord;
  findings: FindingRecord;
  packages: FindingRecord;
  software: SoftwareRecord;
  containers: ContainerRecord;
  'container-findings': ContainerFindingRecord;
}
/** A row of any grain. */
export type GrainRow = GrainRows[RecordGrain];

/** The `records` option of a sink that can write any grain. */
export const recordsOption = z
  .enum(RECORD_GRAINS)
  .default('images')
  .meta({
    description:
      'What one row (or document) is: `images` (one per image), `findings` (one per image × vulnerability), ' +
      '`packages` (one per image × vulnerability × affected package), `software` (one per image × installed package), ' +
      '`containers` (one per container) or `container-findings` (one per container × vulnerability of the image it runs). ' +
      '`findings`, `packages` and `container-findings` need `source.vulnerabilities`.',
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

/**
 * The rows a batch of images gives at a grain; every sink of a run measures ages and SLAs at the export's start. A
 * container grain takes nothing from images: its rows come from containerRowsOf().
 */
export function rowsOf(batch: readonly ImageRecord[], grain: RecordGrain, ctx: Pick<RunContext, 'startedAt' | 'sla' | 'compare'>): ReadonlyArray<GrainRow> {
  switch (grain) {
    case 'images':
      return batch;
    case 'findings':
    case 'packages': {
      const options = findingRowOptions(ctx);
      return batch.flatMap((image) => findingRows(image, grain, options));
    }
    case 'software':
      return batch.flatMap((image) => softwareRows(image, ctx.startedAt));
    case 'containers':
    case 'container-findings':
      return [];
  }
}

/**
 * The rows a batch of containers gives at a grain: the containers themselves (with the repositories of the image
 * each runs, when the run looked it up), or one row per container × finding of its image. An image grain takes
 * nothing from containers.
 */
export function containerRowsOf(
  batch: readonly RunContainer[],
  grain: RecordGrain,
  ctx: Pick<RunContext, 'startedAt' | 'sla'>,
): ReadonlyArray<ContainerRecord | ContainerFindingRecord> {
  if (grain === 'containers') return batch.map(containerRow);
  if (grain !== 'container-findings') return [];
  return containerFindingRows(batch, { now: ctx.startedAt, ...(ctx.sla ? { sla: ctx.sla } : {}) });
}

/** A container with the repositories of the image it runs, when the run looked that image up. */
export function containerRow({ container, image }: RunContainer): ContainerRecord {
  if (image === null || container.imageRepositories.length > 0) return container;
  return { ...container, imageRepositories: image.repo.map(repoTagText) };
}

const SHAPES: { [G in RecordGrain]: RecordShape<GrainRows[G]> } = {
  images: IMAGE_SHAPE,
  findings: FINDING_SHAPE,
  packages: PACKAGE_SHAPE,
  software: SOFTWARE_SHAPE,
  containers: CONTAINER_SHAPE,
  'container-findings': CONTAINER_FINDING_SHAPE,
};

/** The column shape of a grain. */
export function shapeOf<G extends RecordGrain>(grain: G): RecordShape<GrainRows[G]> {
  return SHAPES[grain];
}

/** The grains a sink writes with these options: what its plugin declares, or the images of a plugin that declares none. */
export function sinkGrains(plugin: SinkPlugin<unknown>, options: unknown): readonly RecordGrain[] {
  return plugin.grains?.(options) ?? ['images'];
}
