// Fails when a tracked source file has a line over 160 characters: Biome wraps code at that width, but not string
// literals or comments, which are where long lines hide.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 160;
// JSON is left out: a value (the pinned packageManager hash, a description) cannot be wrapped.
const files = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.js', '*.yaml'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && f !== 'pnpm-lock.yaml');
const long = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > LIMIT) long.push(`${file}:${i + 1}: ${line.length} characters`);
    });
}
if (long.length > 0) {
  console.error(`${long.length} line${long.length === 1 ? '' : 's'} over ${LIMIT} characters:\n${long.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(`no line over ${LIMIT} characters in ${files.length} files`);
}
