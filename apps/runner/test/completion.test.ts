import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMAND_OPTIONS, flagsOf, HELP_OPTION } from '../src/command-options.js';
import { useCliHarness } from './support.js';

const run = promisify(execFile);
const h = useCliHarness();
const ZSH_HARNESS = fileURLToPath(new URL('./zsh-complete.zsh', import.meta.url));

/** Whether a program is on PATH: zsh and fish are optional here, and their tests skip without them. */
function installed(program: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The script as the command prints it, saved beside (not in) the directory the completions run in. */
async function savedScript(shell: 'bash' | 'zsh' | 'fish'): Promise<string> {
  const r = await h.cli(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  const file = join(h.dir, `qcs-export.${shell}`);
  await writeFile(file, r.stdout);
  return file;
}

/** A working directory with two config files, a file that is none, and a directory. */
async function workDir(): Promise<string> {
  const dir = join(h.dir, 'work');
  await mkdir(join(dir, 'subdir'), { recursive: true });
  for (const file of ['a.yaml', 'b.yml', 'c.txt']) await writeFile(join(dir, file), '');
  return dir;
}

/** Each shell's own programs get PATH and a home of their own, so no rc file of the machine's user takes part. */
async function shellEnv(): Promise<NodeJS.ProcessEnv> {
  const home = join(h.dir, 'home');
  await mkdir(home, { recursive: true });
  return { PATH: process.env['PATH'], HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share') };
}

/**
 * bash: the script sourced, COMP_WORDS and the rest set as bash sets them for `LINE<TAB>` (split at blanks, "=" a
 * word of its own since it is in COMP_WORDBREAKS), the function `complete -p` names called, COMPREPLY printed.
 */
const BASH_DRIVER = `
source "$1"
line=$2
read -ra COMP_WORDS <<<"\${line//=/ = }"
[[ $line == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=\${#line}
registered=$(complete -p qcs-export) || exit 3
[[ $registered =~ -F\\ ([^ ]+) ]] || exit 4
"\${BASH_REMATCH[1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;

const complete = {
  async bash(script: string, line: string, cwd: string): Promise<string[]> {
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', BASH_DRIVER, 'bash', script, line], { cwd, env: await shellEnv() });
    return words(stdout);
  },
  /** With fpathDir, zsh finds the script there as _qcs-export; without it, it sources the script. */
  async zsh(script: string, line: string, cwd: string, fpathDir?: string): Promise<string[]> {
    const out = join(h.dir, 'zsh-matches');
    await writeFile(out, '');
    await run('zsh', ['-f', ZSH_HARNESS, script, line, out, ...(fpathDir === undefined ? [] : [fpathDir])], { cwd, env: await shellEnv() });
    return words(await readFile(out, 'utf8'));
  },
  async fish(script: string, line: string, cwd: string): Promise<string[]> {
    const { stdout } = await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', script, line], { cwd, env: await shellEnv() });
    // fish prints each match with a tab and its description.
    return words(stdout.replace(/\t.*/g, ''));
  },
};

/** The distinct non-empty lines, sorted: the shells differ in order and repeat a match offered twice. */
function words(text: string): string[] {
  return [...new Set(text.split('\n').filter((l) => l !== ''))].sort();
}

const commandNames = Object.keys(COMMAND_OPTIONS);
const optionsOf = (command: keyof typeof COMMAND_OPTIONS) => flagsOf({ ...COMMAND_OPTIONS[command], ...HELP_OPTION }).sort();

/** What `LINE<TAB>` offers in every shell; zsh shows a directory without its "/", which it adds once chosen. */
function cases(dirSuffix: string): Array<[string, string[]]> {
  return [
    ['qcs-export r', ['run']],
    ['qcs-export ', [...commandNames, 'help'].sort()],
    ['qcs-export -', ['--help', '--version', '-V', '-h'].sort()],
    ['qcs-export run --log-f', ['--log-format']],
    ['qcs-export run --log-format ', ['json', 'text']],
    ['qcs-export doctor --log-level ', ['debug', 'error', 'info', 'warn']],
    ['qcs-export validate -c ', ['a.yaml', 'b.yml', `subdir${dirSuffix}`]],
    ['qcs-export run --config ', ['a.yaml', 'b.yml', `subdir${dirSuffix}`]],
    ['qcs-export run -c a.yaml -c ', ['a.yaml', 'b.yml', `subdir${dirSuffix}`]],
    ['qcs-export run --state ', ['a.yaml', 'b.yml', 'c.txt', `subdir${dirSuffix}`]],
    ['qcs-export run --compare-to s', [`subdir${dirSuffix}`]],
    ['qcs-export completion ', ['bash', 'fish', 'zsh']],
    ['qcs-export help ', [...commandNames].sort()],
    ['qcs-export simulate --port ', []],
    ...commandNames.map((c): [string, string[]] => [`qcs-export ${c} -`, optionsOf(c as keyof typeof COMMAND_OPTIONS)]),
  ];
}

describe('qcs-export completion SHELL (issue 22)', () => {
  it('prints each shell its script, and --help says how to install each', async () => {
    expect((await h.cli(['completion', 'bash'])).stdout).toMatch(/^complete -F \S+ qcs-export$/m);
    expect((await h.cli(['completion', 'zsh'])).stdout).toMatch(/^#compdef qcs-export\n/);
    expect((await h.cli(['completion', 'fish'])).stdout).toMatch(/^complete -c qcs-export /m);
    const help = await h.cli(['completion', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('source <(qcs-export completion bash)');
    expect(help.stdout).toContain('~/.local/share/bash-completion/completions/qcs-export');
    expect(help.stdout).toMatch(/_qcs-export .*\$fpath/s);
    expect(help.stdout).toContain('qcs-export completion fish > ~/.config/fish/completions/qcs-export.fish');
    expect((await h.cli(['--help'])).stdout).toMatch(/qcs-export completion bash\|zsh\|fish/);
  });

  it('a missing, unknown or extra shell is a usage error (exit 2) that lists the shells', async () => {
    const missing = await h.cli(['completion']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/completion needs a shell: choose bash, zsh, fish/);
    const typo = await h.cli(['completion', 'zssh']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no completion for the shell "zssh"; did you mean "zsh"\?; choose bash, zsh, fish/);
    const other = await h.cli(['completion', 'powershell']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/"powershell"; choose bash, zsh, fish/);
    expect((await h.cli(['completion', 'bash', 'zsh'])).code).toBe(2);
    expect((await h.cli(['completion', '--bash'])).stderr).toMatch(/unknown option "--bash"/);
    expect(missing.stdout + typo.stdout + other.stdout).toBe('');
  });
});

describe('bash completion, in bash', () => {
  it('the script parses (bash -n)', async () => {
    await expect(run('bash', ['-n', await savedScript('bash')])).resolves.toBeDefined();
  });

  it.for(cases('/'))('%j offers %j', async ([line, expected]) => {
    expect(await complete.bash(await savedScript('bash'), line, await workDir())).toEqual(expected);
  });

  it.for([
    ['qcs-export run --log-format=', ['json', 'text']],
    ['qcs-export run --log-format=j', ['json']],
    ['qcs-export validate --config=', ['a.yaml', 'b.yml', 'subdir/']],
    ['qcs-export run --json=', []],
    ['qcs-export completion bash ', []],
  ] as Array<[string, string[]]>)('%j (bash splits at "=") offers %j', async ([line, expected]) => {
    expect(await complete.bash(await savedScript('bash'), line, await workDir())).toEqual(expected);
  });
});

describe('zsh completion, in zsh', () => {
  const zsh = installed('zsh');

  it('the script parses (zsh -n)', async ({ skip }) => {
    skip(!zsh, 'no zsh on PATH');
    await expect(run('zsh', ['-n', await savedScript('zsh')])).resolves.toBeDefined();
  });

  it.for(cases(''))('%j offers %j (sourced)', async ([line, expected], { skip }) => {
    skip(!zsh, 'no zsh on PATH');
    expect(await complete.zsh(await savedScript('zsh'), line, await workDir())).toEqual(expected);
  });

  it.for([
    ['qcs-export r', ['run']],
    ['qcs-export run --log-format=', ['json', 'text']],
    ['qcs-export validate --config=', ['a.yaml', 'b.yml', 'subdir']],
    ['qcs-export completion ', ['bash', 'fish', 'zsh']],
  ] as Array<[string, string[]]>)('%j offers %j (installed as _qcs-export on $fpath)', async ([line, expected], { skip }) => {
    skip(!zsh, 'no zsh on PATH');
    const fpathDir = join(h.dir, 'zfunc');
    await mkdir(fpathDir);
    await writeFile(join(fpathDir, '_qcs-export'), await readFile(await savedScript('zsh')));
    expect(await complete.zsh('', line, await workDir(), fpathDir)).toEqual(expected);
  });
});

describe('fish completion, in fish', () => {
  const fish = installed('fish');

  it('the script parses (fish --no-execute)', async ({ skip }) => {
    skip(!fish, 'no fish on PATH');
    await expect(run('fish', ['--no-config', '--no-execute', await savedScript('fish')])).resolves.toBeDefined();
  });

  it.for(cases('/'))('%j offers %j', async ([line, expected], { skip }) => {
    skip(!fish, 'no fish on PATH');
    expect(await complete.fish(await savedScript('fish'), line, await workDir())).toEqual(expected);
  });

  it.for([
    // fish offers the whole word, the option and its value.
    ['qcs-export run --log-format=', ['--log-format=json', '--log-format=text']],
    ['qcs-export validate --config=', ['--config=a.yaml', '--config=b.yml', '--config=subdir/']],
    ['qcs-export validate -cs', ['-csubdir/']],
    ['qcs-export completion bash ', []],
  ] as Array<[string, string[]]>)('%j offers %j', async ([line, expected], { skip }) => {
    skip(!fish, 'no fish on PATH');
    expect(await complete.fish(await savedScript('fish'), line, await workDir())).toEqual(expected);
  });
});
