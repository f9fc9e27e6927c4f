import { z } from 'zod';

/** The `fileMode` option of every file sink: the same rule and the same words wherever it appears. */
export const fileModeOption = z.number().int().min(0).max(0o777).default(0o600).meta({
  description: "Permissions of the new file, e.g. `0o640` (decimal `420` is `0o644`). The inventory is sensitive, so others can't read it by default.",
  defaultText: '`0o600`',
});
