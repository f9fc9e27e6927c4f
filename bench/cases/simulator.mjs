// The simulator alone in a process: prints {url, username, password} and serves until SIGTERM.
import { startSimulator } from '@qcs-export/qualys-simulator';

const options = JSON.parse(process.argv[2] ?? '{}');
const sim = await startSimulator({ rateLimit: false, ...options });
console.log(JSON.stringify({ url: sim.url, ...sim.credentials }));
process.on('SIGTERM', async () => {
  await sim.close();
  process.exit(0);
});
