/**
 * Which rows a sink writes. From the images the run reads: one per image (the inventory), per image × QID, per image ×
 * QID × affected package, or per image × installed package (software). From the containers it reads: one per
 * container, or per container × finding of the image it runs.
 */
export const RECORD_GRAINS = ['images', 'findings', 'packages', 'software', 'containers', 'container-findings'] as const;
export type RecordGrain = (typeof RECORD_GRAINS)[number];
/** The grains made from the containers a run reads; every other grain is made from its images. */
export const CONTAINER_GRAINS: readonly RecordGrain[] = ['containers', 'container-findings'];
/** The grains whose rows are findings (SLA, exemption, age). */
export const FINDING_GRAINS: readonly RecordGrain[] = ['findings', 'packages', 'container-findings'];

/** Which list a grain's rows are made from. */
export function grainReads(grain: RecordGrain): 'images' | 'containers' {
  return CONTAINER_GRAINS.includes(grain) ? 'containers' : 'images';
}
