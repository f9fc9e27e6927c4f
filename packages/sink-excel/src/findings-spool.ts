import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FindingRecord } from '@qcs-export/core/sink';

/**
 * Finding rows held on disk until the Images sheets are closed. exceljs keeps every row of a later sheet in memory
 * while an earlier one is open (exceljs#629), so the Findings sheets are written after the Images sheets, from this
 * file: memory stays bounded by a batch, whatever the number of findings.
 */
export class FindingsSpool {
  private constructor(
    private readonly dir: string,
    private readonly out: WriteStream,
  ) {}

  static async open(): Promise<FindingsSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-findings-'));
    return new FindingsSpool(dir, createWriteStream(join(dir, 'findings.ndjson'), { mode: 0o600 }));
  }

  async write(rows: readonly FindingRecord[]): Promise<void> {
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** The rows, in the order written; the file is closed for writing first. */
  async *read(): AsyncGenerator<FindingRecord> {
    await new Promise<void>((resolve, reject) => this.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const lines = createInterface({ input: createReadStream(join(this.dir, 'findings.ndjson'), 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) if (line !== '') yield JSON.parse(line) as FindingRecord;
  }

  /** Removes the file; safe to call twice, and after a failure. */
  async remove(): Promise<void> {
    this.out.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
