import { UsageError } from '@qcs-export/core';
import { parseFlags } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import { ExitCode } from '../exit-codes.js';

export async function simulateCommand(argv: string[]): Promise<number> {
  const values = parseFlags('simulate', argv, COMMAND_OPTIONS.simulate);
  const int = (name: string, fallback: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${String(raw)}"`);
    return n;
  };
  const port = int('port', 8089);
  if (port > 65_535) throw new UsageError(`--port must be from 0 to 65535, got ${port}`);
  const { describeSimulator, startSimulator } = await import('@qcs-export/qualys-simulator');
  // Dates relative to today, so relative filters in the shipped examples (imagesInUse:'[now-30d ... now]') match.
  const sim = await startSimulator({ port, images: int('images', 2000), seed: int('seed', 1), latencyMs: int('latency', 0), now: Date.now() }).catch(
    (error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on 127.0.0.1 is in use; choose another with --port N (0 picks a free one)`);
      if (code === 'EACCES') throw new UsageError(`port ${port} needs privileges this user lacks; choose a port above 1023 with --port N`);
      throw error;
    },
  );
  process.stdout.write(`${describeSimulator(sim)}\nCtrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return ExitCode.ok;
}
