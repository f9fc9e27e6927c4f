import { describe, expect, it } from 'vitest';
import { COMMAND_OPTIONS, type CommandOptions, HELP_OPTION, TOP_OPTIONS } from '../src/command-options.js';
import { COMMAND_HELP, USAGE } from '../src/help.js';

/**
 * The parser and the shell completion read COMMAND_OPTIONS; people read --help. These tests hold the two to one
 * list, so a flag added to one and not the other fails here.
 */

interface HelpEntry {
  /** `-c, --config VALUE`: the spellings, and whether a value follows. */
  flags: string;
  /** The entry's text, its continuation lines included. */
  text: string;
}

/** The entries of a help's "Options:" section; none when it has no such section. */
function helpEntries(help: string): HelpEntry[] {
  const section = help.split('\nOptions:\n')[1];
  if (section === undefined) return [];
  const entries: HelpEntry[] = [];
  for (const line of section.split('\n')) {
    const entry = /^ {2}(?:-(\w), )?--([\w-]+)(?: ([A-Z]+))? {2,}(.*)$/.exec(line);
    if (entry) entries.push({ flags: spelled(entry[2] as string, entry[1], entry[3] !== undefined), text: entry[4] as string });
    else if (/^ {4,}\S/.test(line) && entries.length > 0) (entries.at(-1) as HelpEntry).text += ` ${line.trim()}`;
    else throw new Error(`a line of the Options section that is no option: "${line}"`);
  }
  return entries;
}

const spelled = (long: string, short: string | undefined, takesValue: boolean) => `${short ? `-${short}, ` : ''}--${long}${takesValue ? ' VALUE' : ''}`;

const entriesOf = (options: CommandOptions) => Object.entries(options).map(([long, o]) => spelled(long, o.short, o.type === 'string'));

const commands = Object.keys(COMMAND_OPTIONS) as Array<keyof typeof COMMAND_OPTIONS>;

describe("each command's options and its --help are one list (issue 22)", () => {
  it('every command has a help, and every help a command', () => {
    expect(Object.keys(COMMAND_HELP).sort()).toEqual([...commands].sort());
  });

  it('reads the Options sections it checks: run lists -c, --config FILE and --json', () => {
    // A parser that found no entries would let both lists below be empty and agree.
    expect(helpEntries(COMMAND_HELP['run'] as string).map((e) => e.flags)).toEqual(expect.arrayContaining(['-c, --config VALUE', '--json']));
  });

  it.each(commands)('%s: the options its help lists are those it parses (short form, value or not), with -h, --help', (command) => {
    const listed = helpEntries(COMMAND_HELP[command] as string).map((e) => e.flags);
    const parsed = entriesOf(COMMAND_OPTIONS[command]);
    // A help without an Options section is for a command without options; one with lists -h, --help as well.
    const expected = listed.length === 0 && parsed.length === 0 ? [] : [...parsed, ...entriesOf(HELP_OPTION)];
    expect(listed.sort()).toEqual(expected.sort());
  });

  it.each(commands)('%s: every --option its help names anywhere (usage line, prose) is one it parses', (command) => {
    const named = [...(COMMAND_HELP[command] as string).matchAll(/(?<![\w-])--([a-z][\w-]*)/g)].map((m) => m[1] as string);
    const known = Object.keys({ ...COMMAND_OPTIONS[command], ...HELP_OPTION });
    expect(named.filter((name) => !known.includes(name))).toEqual([]);
  });

  it.each(commands)('%s: an option with fixed values names each of them in its help', (command) => {
    const entries = helpEntries(COMMAND_HELP[command] as string);
    for (const [long, option] of Object.entries(COMMAND_OPTIONS[command] as CommandOptions)) {
      if (option.type !== 'string' || !Array.isArray(option.value)) continue;
      const text = entries.find((e) => e.flags.includes(`--${long} `))?.text ?? '';
      for (const value of option.value) expect(text, `--${long} in ${command} --help`).toMatch(new RegExp(`\\b${value}\\b`));
    }
  });

  it('the main usage names every command and the top options', () => {
    for (const command of commands) expect(USAGE).toContain(`qcs-export ${command}`);
    for (const long of Object.keys(TOP_OPTIONS)) expect(USAGE).toContain(`--${long}`);
  });
});
