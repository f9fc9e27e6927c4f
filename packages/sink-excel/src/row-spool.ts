import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Rows of a later sheet held on disk until the sheets before it are closed. exceljs keeps every row of a later sheet
 * in memory while an earlier one is open (exceljs#629), so only a workbook's first data sheet is written as rows
 * arrive; the Findings, Software and Containers sheets after it are written from one of these files each: memory stays
 * bounded by a batch, whatever the number of rows. Rows are JSON (records hold dates as ISO text, so they come back
 * as they went in).
 */
export class RowSpool<R> {
  /** The file's failure (a full disk), reported by the next write; without a listener it would crash the process. */
  private failed: Error | undefined;

  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly out: WriteStream,
  ) {
    // Also a write still buffered when remove() destroys the stream fails (ERR_STREAM_DESTROYED): nothing to report then.
    out.on('error', (error) => {
      this.failed ??= error;
    });
  }

  /** `name`: what the rows are, for the temporary directory and file (`qcs-findings-…/findings.ndjson`). */
  static async open<R>(name: string): Promise<RowSpool<R>> {
    const dir = await mkdtemp(join(tmpdir(), `qcs-${name}-`));
    const file = join(dir, `${name}.ndjson`);
    return new RowSpool<R>(dir, file, createWriteStream(file, { mode: 0o600 }));
  }

  async write(rows: readonly R[]): Promise<void> {
    if (this.failed) throw this.failed;
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** The rows, in the order written; the file is closed for writing first. */
  async *read(): AsyncGenerator<R> {
    await new Promise<void>((resolve, reject) => this.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const lines = createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) if (line !== '') yield JSON.parse(line) as R;
  }

  /** Removes the file; safe to call twice, and after a failure. */
  async remove(): Promise<void> {
    this.out.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
