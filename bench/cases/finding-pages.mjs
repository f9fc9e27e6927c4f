// Pages of enriched simulator images for the findings benchmarks: a fixed pool of images with their findings, as
// the enrichment stage hands them on, reused page after page so that making data costs nothing during the timed part
// and takes no memory that grows with the count. Each pass over the pool renames the images' shas, so every finding
// key (and so every document _id) is new, as in an export of that many images.
import { normalizeImage } from '@qcs-export/core';
import { generateImages, imageFindings } from '@qcs-export/qualys-simulator';

/** Images per page (about 48 findings each, so about 4,800 finding documents, 10 MB of JSON, per page). */
export const IMAGES_PER_PAGE = 100;
const PAGES = 5;

// The /vuln answer's findings (with applyException=false, as `vulnerabilities: { from: vuln }` asks): the fullest
// form, with the CVSS scores and threat intel the details answer lacks, so every field of a finding document is filled.
const pool = generateImages(PAGES * IMAGES_PER_PAGE, 1).map((raw) => ({
  ...normalizeImage(raw, 'images'),
  vulnerabilities: normalizeImage({ sha: raw.sha, vulnerabilities: imageFindings(raw) }, 'images/details').vulnerabilities,
}));

const renamed = (sha, pass) => (pass === 0 ? sha : sha.slice(0, 56) + pass.toString(16).padStart(8, '0'));

/** Pages of images until their findings number at least `findings`; the last page is cut so the total is close. */
export function* findingPages(findings) {
  let done = 0;
  for (let n = 0; done < findings; n++) {
    const pass = Math.floor(n / PAGES);
    const start = (n % PAGES) * IMAGES_PER_PAGE;
    const page = [];
    for (const image of pool.slice(start, start + IMAGES_PER_PAGE)) {
      if (done >= findings) break;
      page.push(pass === 0 ? image : { ...image, sha: renamed(image.sha, pass) });
      done += image.vulnerabilities?.length ?? 0;
    }
    yield page;
  }
}
