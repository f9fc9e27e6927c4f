import { OutputClosedError, SinkError } from '@qcs-export/core/sink';

/**
 * Writes to a stream that is not ours to close (stdout), honouring backpressure. A reader that goes away
 * (`| head`) raises EPIPE; that becomes an OutputClosedError (the run ends quietly with 141), any other failure a
 * SinkError, instead of an unhandled crash.
 */
export class StreamWriter {
  private failure: Error | undefined;
  private readonly onError = (e: NodeJS.ErrnoException) => {
    this.failure ??=
      e.code === 'EPIPE'
        ? new OutputClosedError('stdout was closed by the reader before the export finished', { cause: e })
        : new SinkError(`writing to stdout failed: ${e.message}`, { cause: e });
  };

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', this.onError);
  }

  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
    }
    if (this.failure) throw this.failure;
  }

  release(): void {
    this.stream.off('error', this.onError);
  }
}
