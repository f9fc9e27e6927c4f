// `node scripts/test-times.mjs [N]`: the N slowest test files of the last `pnpm test` (default 25), from the JSON
// report vitest writes (.vitest-results.json), with each file's wall time and its share of the sum. The sum is more
// than the run's wall time: files run side by side, one per worker.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const limit = Number(process.argv[2] ?? 25);
const report = JSON.parse(readFileSync(new URL('../.vitest-results.json', import.meta.url), 'utf8'));
const files = report.testResults
  .map((file) => ({ name: relative(process.cwd(), file.name), seconds: (file.endTime - file.startTime) / 1000, tests: file.assertionResults.length }))
  .sort((a, b) => b.seconds - a.seconds);
const sum = files.reduce((total, file) => total + file.seconds, 0);
console.log(`| file | tests | seconds | share |\n|---|---:|---:|---:|`);
for (const file of files.slice(0, limit)) {
  console.log(`| ${file.name} | ${file.tests} | ${file.seconds.toFixed(1)} | ${((100 * file.seconds) / sum).toFixed(1)}% |`);
}
console.log(`\n${files.length} files, ${report.numTotalTests} tests; file times sum to ${sum.toFixed(0)} s`);
