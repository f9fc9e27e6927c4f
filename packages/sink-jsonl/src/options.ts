import { z } from 'zod';
import { recordsOption, fileModeOption, stampRunOption } from '@qcs-export/core/sink';

// Descriptions and defaults live in .meta(): `qcs-export schema` and the README's option table are made from them.
export const jsonlOptions = z
  .strictObject({
    path: z.string().min(1, 'path must name a file, or "-" for stdout').meta({
      description:
        'The output file, or `-` for stdout. A `.gz` ending compresses. `{date}`, `{time}` and `{datetime}` expand; missing parent directories are created.',
    }),
    records: recordsOption,
    stampRun: stampRunOption,
    gzipLevel: z.number().int().min(1).max(9).default(6).meta({ description: 'gzip level for `.gz` files, 1 (fastest) to 9 (smallest).' }),
    fileMode: fileModeOption,
  })
  .describe('JSON Lines: one ImageRecord per line');

export type JsonlSinkOptions = z.output<typeof jsonlOptions>;
