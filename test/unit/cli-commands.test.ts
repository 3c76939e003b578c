/**
 * `minictr NAME ...` registers only NAME's command file with commander (src/cli/main.ts, a start-up
 * cost of every command, BENCHMARKS.md): the table of names in src/cli/commands/index.ts must say
 * exactly what each file registers, or a command would vanish from its own command line.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandEntries, commandEntry, commands } from '../../src/cli/commands/index.js';
import { commandsFor } from '../../src/cli/main.js';
import { buildProgram } from '../../src/cli/program.js';

const namesOf = (program: Command): string[] => program.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort();

describe('the command table', () => {
  it('names each file exactly the top-level commands (and aliases) it registers', () => {
    for (const entry of commandEntries) {
      const program = new Command('minictr').enablePositionalOptions();
      entry.register(program);
      expect(namesOf(program), entry.names.join(',')).toEqual([...entry.names].sort());
    }
  });

  it('has every name once, and together registers the whole CLI', () => {
    const names = commandEntries.flatMap((e) => e.names);
    expect(new Set(names).size).toBe(names.length);
    expect(namesOf(buildProgram(commands))).toEqual([...names].sort());
  });
});

describe('commandsFor (what a command line registers)', () => {
  it('a known command first: only its file, aliases of a file included', () => {
    expect(commandsFor(['ps', '-a'])).toEqual([commandEntry('ps')?.register]);
    expect(commandsFor(['build', '-t', 'x', '.'])).toEqual([commandEntry('build')?.register]);
    expect(commandsFor(['logout'])).toEqual([commandEntry('login')?.register]);
    expect(namesOf(buildProgram(commandsFor(['run', '--rm', 'busybox', 'true']) ?? []))).toEqual(['run']);
  });

  it('--version alone: no command at all, and the version still prints', () => {
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
    let out = '';
    const program = buildProgram(commandsFor(['--version']) ?? []).configureOutput({ writeOut: (s) => { out += s; } });
    expect(() => program.parse(['node', 'minictr', '--version'])).toThrow('0.1.0');
    expect(out).toBe('0.1.0\n');
  });

  it('help, no command, an unknown one, an option first: the whole CLI', () => {
    for (const words of [[], ['--help'], ['-h', 'run'], ['--version', 'ps'], ['nosuch'], ['help', 'run'], ['-V', '-h']]) {
      expect(commandsFor(words), words.join(' ')).toBeUndefined();
    }
  });
});
