#!/usr/bin/env node
/**
 * The qcs-export command. `--version` answers before anything else loads: the commands, the config schema and the
 * Qualys client take a few hundred milliseconds of CPU to import, and a version check in a script or a container
 * health probe should not pay for them. `run` under a memory limit starts again with a heap sized from it
 * (heap-limit.ts), before the rest loads, so the launcher stays small.
 */
import { relaunchWithHeapLimit, relayLauncherSignals } from './heap-limit.js';
import { toolVersion } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${toolVersion}\n`);
} else if (!(argv[0] === 'run' && (await relaunchWithHeapLimit()))) {
  relayLauncherSignals();
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
