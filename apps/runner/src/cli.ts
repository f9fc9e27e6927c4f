#!/usr/bin/env node
/**
 * The qcs-export command. `--version` answers before anything else loads: the commands, the config schema and the
 * Qualys client take a few hundred milliseconds of CPU to import, and a version check in a script or a container
 * health probe should not pay for them. `run` under a memory limit starts again with a heap sized from it
 * (heap-limit.ts), before the rest loads, so the launcher stays small.
 */
import { relaunchWithHeapLimit, relayLauncherSignals } from './heap-limit.js';
import { toolVersion } from './version.js';

/** How long the process may outlive its command's end. */
const COMMAND_DONE_GRACE_MS = 2000;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${toolVersion}\n`);
} else if (!(argv[0] === 'run' && (await relaunchWithHeapLimit()))) {
  relayLauncherSignals();
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
  // The command is over. What could still hold the process is an operation nothing can cancel: a read abandoned
  // after its timeout on a hung network filesystem, a request after an interrupt. It gets a moment, not for ever.
  setTimeout(() => process.exit(), COMMAND_DONE_GRACE_MS).unref();
}
