#!/usr/bin/env node
/**
 * Worker entrypoint of this repository's demo deployment: the command its ECS task runs, and the
 * process the local runtime starts.
 */
import { runDemoWorker } from './demo-worker.ts';

await runDemoWorker();
