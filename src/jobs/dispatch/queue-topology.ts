import { z } from 'zod';
import { ALL_QUEUE_KEYS, type Capacity, PRIORITIES, type QueueKey, queueKey } from '../model/index.ts';

const QueueAddressSchema = z.object({
  url: z.url(),
  arn: z.string().startsWith('arn:'),
  dlqUrl: z.url(),
  dlqArn: z.string().startsWith('arn:'),
});
export type QueueAddress = z.infer<typeof QueueAddressSchema>;

/** Every work queue of the deployment by key, as the stack hands it to its functions and workers. */
export const QueueTopologySchema = z.record(z.enum(ALL_QUEUE_KEYS as [QueueKey, ...QueueKey[]]), QueueAddressSchema);
export type QueueTopology = Partial<Record<QueueKey, QueueAddress>>;

export function queueAddress(topology: QueueTopology, key: QueueKey): QueueAddress {
  const address = topology[key];
  if (!address) throw new Error(`no queue ${key} in the queue topology`);
  return address;
}

/** The queues of one capacity class, highest priority first. */
export function queuesOfClass(topology: QueueTopology, capacity: Capacity): { key: QueueKey; url: string }[] {
  return PRIORITIES.map((priority) => {
    const key = queueKey(capacity, priority);
    return { key, url: queueAddress(topology, key).url };
  });
}
