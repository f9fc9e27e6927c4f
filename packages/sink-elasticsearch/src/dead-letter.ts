import { AtomicFileWriter, outputPathFor, Redactor, registerCredentials, type RunContext } from '@qcs-export/core/sink';
import type { ElasticsearchSinkOptions } from './options.js';

export interface DeadLetter {
  _id: string | undefined;
  index: string;
  status: number;
  error: { type: string; reason: string };
  /** The document as it was sent. */
  document: unknown;
}

/**
 * Rejected documents as NDJSON, one per line with the status and Elasticsearch's error type and reason, so they
 * can be fixed and replayed. The file exists only if something was rejected, and appears whole, after the run (a
 * failed or aborted one included). Every line is redacted first, like every other output of a run: a node's error
 * reason or a document may quote a credential.
 */
export class DeadLetterFile {
  private file: AtomicFileWriter | undefined;
  private opening: Promise<AtomicFileWriter> | undefined;
  count = 0;

  constructor(
    readonly path: string,
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  async add(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.opening ??= AtomicFileWriter.open(this.path, { mode: 0o600 });
    this.file = await this.opening;
    this.count += letters.length;
    await this.file.write(`${letters.map((l) => this.redact(JSON.stringify(l))).join('\n')}\n`);
  }

  /** Syncs the file, if anything was rejected, without making it visible (the first phase of the run's commit). */
  async finish(): Promise<void> {
    if (this.opening) await (await this.opening).finish();
  }

  /** Commits the file if anything was rejected; returns its path then. */
  async commit(): Promise<string | undefined> {
    if (!this.opening) return undefined;
    const file = await this.opening;
    await file.commit();
    // Dead letters are kept whatever becomes of the run (they are what to replay), so the file they replace is not
    // kept for a rollback.
    await file.settle();
    return this.path;
  }
}

/** Where rejected documents go, if any are: the one file this sink writes. */
export function deadLetterPathOf(options: ElasticsearchSinkOptions, ctx: RunContext): string {
  return outputPathFor(options.deadLetterPath.replaceAll('{index}', options.index), ctx);
}

/**
 * What dead letters are redacted with: the run's redactor when the runner hands one over (`redact` on the context,
 * which knows the Qualys credentials too), and always this sink's own credentials.
 */
export function deadLetterRedactor(options: ElasticsearchSinkOptions, ctx: RunContext): (text: string) => string {
  const own = new Redactor();
  registerCredentials(own, options.auth);
  const runs = ctx.redact;
  return (text) => own.redact(runs ? runs(text) : text);
}
