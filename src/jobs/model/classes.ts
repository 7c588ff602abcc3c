/** Priorities, highest first: workers poll in this order. */
export const PRIORITIES = ['critical', 'high', 'default', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Capacity classes: each has its own queues and its own worker pool. */
export const CAPACITIES = ['cpu', 'gpu'] as const;
export type Capacity = (typeof CAPACITIES)[number];

/** Names one queue (and its DLQ): e.g. `cpu-high`. */
export type QueueKey = `${Capacity}-${Priority}`;

export const queueKey = (capacity: Capacity, priority: Priority): QueueKey => `${capacity}-${priority}`;

export const ALL_QUEUE_KEYS: readonly QueueKey[] = CAPACITIES.flatMap((capacity) =>
  PRIORITIES.map((priority) => queueKey(capacity, priority)),
);
