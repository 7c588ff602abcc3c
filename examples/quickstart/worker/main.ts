import { fileURLToPath } from 'node:url';
import { createWorker, defineHandler, HandlerRegistry, pythonHandlers } from 'tailguard/worker';
import { z } from 'zod';

// A TypeScript handler with a typed payload: a bad payload fails the job for good, naming the field.
const greet = defineHandler({
  payload: z.object({ name: z.string().min(1) }),
  run: async ({ name }, { reportProgress }) => {
    reportProgress(1);
    return { greeting: `Hello, ${name}!` };
  },
});

const handlers = new HandlerRegistry().register('greet', greet);
// Python handlers (worker/handlers.py) run in a long-lived process: a model loads once, not per job.
const python = await pythonHandlers(handlers, {
  command: ['python3', fileURLToPath(new URL('handlers.py', import.meta.url))],
});

await createWorker({ handlers, closeOnStop: [python] }).start();
