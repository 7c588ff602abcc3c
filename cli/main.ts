#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';

/** `tailguard`: `npx tsx cli/main.ts --help`. */
try {
  await buildProgram().parseAsync();
} catch (error) {
  // Commander has printed what went wrong (usage, or `code: message` lines): only the exit code is left.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode;
}
