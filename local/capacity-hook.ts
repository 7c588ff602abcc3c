import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CAPACITIES, type Capacity } from '../src/jobs/model/index.ts';

/**
 * The local stand-in for the ECS capacity the straggler detector adds on AWS: an HTTP endpoint
 * on the loopback interface; `POST /?capacity=<class>` starts one more worker process of that
 * class, up to `maxExtra` per class (then 429).
 */
export class CapacityHook {
  private readonly added = new Map<Capacity, number>();
  private server: Server | undefined;

  constructor(
    private readonly startWorker: (capacity: Capacity) => void,
    private readonly maxExtra = 4,
  ) {}

  async listen(): Promise<string> {
    this.server = createServer((request, response) => {
      const capacity = new URL(request.url ?? '/', 'http://localhost').searchParams.get('capacity') as Capacity;
      if (request.method !== 'POST' || !CAPACITIES.includes(capacity)) {
        response.writeHead(400).end();
        return;
      }
      const added = this.added.get(capacity) ?? 0;
      if (added >= this.maxExtra) {
        response.writeHead(429).end();
        return;
      }
      this.added.set(capacity, added + 1);
      this.startWorker(capacity);
      response.writeHead(201).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Workers started through the hook, per class. */
  count(capacity: Capacity): number {
    return this.added.get(capacity) ?? 0;
  }

  close(): void {
    this.server?.close();
  }
}
