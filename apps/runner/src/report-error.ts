import { isQcsError } from '@qcs-export/core';
import { redactor } from './cli-args.js';
import { exitCodeOf } from './exit-codes.js';

/**
 * The error line on stderr, always; with `run --json` (or validate's, doctor's), also an object on stdout, so a
 * script that parses stdout learns why the command failed without scraping stderr.
 */
export function reportError(error: unknown, argv: string[], prefix = ''): number {
  const known = isQcsError(error);
  const code = known ? error.code : 'QCS_INTERNAL';
  const exitCode = exitCodeOf(error);
  // The reader of stdout chose to stop (`| head`): nothing went wrong to tell it, and stdout is gone anyway.
  if (known && error.code === 'QCS_OUTPUT_CLOSED') return exitCode;
  const message = redactor.redact(`${prefix}${known ? error.message : `internal error: ${(error as Error)?.message ?? String(error)}`}`);
  // With --log-format json, stderr stays one JSON object per line to the end, the failure included.
  const jsonLog = argv.some((a, i) => a === '--log-format=json' || (a === '--log-format' && argv[i + 1] === 'json'));
  if (jsonLog) process.stderr.write(`${JSON.stringify({ '@timestamp': new Date().toISOString(), 'log.level': 'error', message, 'error.code': code })}\n`);
  else process.stderr.write(known ? `error [${code}]: ${message}\n` : `${message}\n`);
  if (!known && process.env['QCS_DEBUG']) process.stderr.write(`${redactor.redact(String((error as Error)?.stack))}\n`);
  if (['run', 'validate', 'doctor'].includes(argv[0] ?? '') && argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ exitCode, error: { code, message } }, null, 2)}\n`);
  return exitCode;
}
