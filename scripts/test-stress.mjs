// `pnpm test:stress`: the whole test suite while two other processes keep the CPU busy, as on a developer's laptop
// that is doing other work. It passes or fails as `pnpm test` does; timeouts in the suite are hang guards only, so a
// failure here is a test that depends on the machine being quiet. The busy processes are ended however the run ends.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const BUSY = Number(process.env.QCS_STRESS_PROCESSES ?? 2);

// Each one a pure CPU loop in its own process, so the scheduler shares the cores with the suite's workers.
const busy = Array.from({ length: BUSY }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopBusy = () => {
  for (const child of busy) child.kill('SIGKILL');
};
process.on('exit', stopBusy);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopBusy();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

console.error(`test:stress: ${BUSY} CPU-bound processes beside the suite on ${availableParallelism()} cores`);
const started = Date.now();
const test = spawn('pnpm', ['test'], { stdio: 'inherit' });
test.on('exit', (code, signal) => {
  stopBusy();
  console.error(`test:stress: the suite ended with ${signal ?? `exit ${code}`} after ${((Date.now() - started) / 1000).toFixed(0)} s under load`);
  process.exit(code ?? 1);
});
