#!/usr/bin/env node
/**
 * The qcs-export command. `--version` answers before anything else loads: the commands, the config schema and the
 * Qualys client take a few hundred milliseconds of CPU to import, and a version check in a script or a container
 * health probe should not pay for them.
 */
import { toolVersion } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${toolVersion}\n`);
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
