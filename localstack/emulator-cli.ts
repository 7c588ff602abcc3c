#!/usr/bin/env node
/** `npm run emulator -- <up|status|reset>`: the local AWS emulator on its own. */
import { Command } from 'commander';
import { DEFAULT_ENDPOINT, ensureEmulator } from './emulator.ts';

const endpoint = process.env.AWS_ENDPOINT_URL ?? DEFAULT_ENDPOINT;
const program = new Command().name('emulator').description(`Local AWS emulator at ${endpoint} (AWS_ENDPOINT_URL)`);

program
  .command('up')
  .description('use the emulator at the endpoint, or start MiniStack there; runs until Ctrl-C')
  .action(async () => {
    const emulator = await ensureEmulator({ endpoint });
    if (!emulator.startedHere) return;
    console.error('MiniStack running; Ctrl-C stops it.');
    const stop = () => void emulator.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    setInterval(() => undefined, 1 << 30);
  });

program
  .command('status')
  .description('say which emulator answers at the endpoint')
  .action(async () => {
    const health = await fetch(new URL('/_ministack/health', endpoint)).catch(() => undefined);
    console.log(health?.ok ? `MiniStack answers at ${endpoint}` : `no MiniStack at ${endpoint}`);
    process.exitCode = health?.ok ? 0 : 1;
  });

program
  .command('reset')
  .description('clear all MiniStack state (deployed stacks included)')
  .action(async () => {
    const emulator = await ensureEmulator({ endpoint });
    if (emulator.startedHere) {
      console.log('No emulator was running; nothing to clear');
      await emulator.stop();
      return;
    }
    await emulator.reset();
    console.log('MiniStack state cleared');
  });

await program.parseAsync();
