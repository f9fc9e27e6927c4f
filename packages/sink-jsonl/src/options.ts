import { z } from 'zod';

export const jsonlOptions = z
  .strictObject({
    /** Output file; "-" writes to stdout; a name ending in .gz is gzip-compressed; {date}/{time}/{datetime} expand. Required. */
    path: z.string().min(1, 'path must name a file, or "-" for stdout'),
    /** gzip level for .gz files, 1 (fastest) to 9 (smallest). Default: 6. */
    gzipLevel: z.number().int().min(1).max(9).default(6),
    /** Permissions of the created file, e.g. 0o640 (420 = 0o644). Default: 0o600, since the inventory is sensitive. */
    fileMode: z.number().int().min(0).max(0o777).default(0o600),
  })
  .describe('JSON Lines: one ImageRecord per line');

export type JsonlSinkOptions = z.output<typeof jsonlOptions>;
