import { z } from 'zod';
import type { ChildOutcome, ParentOutcome } from '../job-handler.ts';

/**
 * The JSON-lines protocol between the worker and its Python handler processes (docs/python-handlers.md).
 * The worker writes to the child's stdin; the child writes to its own pipe, file descriptor
 * PROTOCOL_FD, so whatever a handler or a native library prints to stdout cannot corrupt it.
 */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_FD = 3;
/** Tells the SDK which file descriptor its messages go to (sdk/python/tailguard/protocol.py). */
export const PROTOCOL_FD_ENV = 'TAILGUARD_PROTOCOL_FD';

/** Worker → Python. */
export type WorkerMessage =
  | {
      kind: 'job';
      id: string;
      type: string;
      tenant: string;
      payload: unknown;
      attempt: number;
      speculative: boolean;
      /** A payload kept in the payload bucket, downloaded here: JSON to parse, or bytes to hand over as a file. */
      payloadFile?: { path: string; format: 'json' | 'bytes' };
      /** A workflow step's parents by step name, as they ended (`ctx.parents`); absent for a job without any. */
      parents?: Record<string, OutcomeMessage>;
    }
  | { kind: 'cancel'; id: string }
  /**
   * A page of a join's children, answering its `children`: `done` once none is left; `error`
   * when the job is not a join or the read failed.
   */
  | { kind: 'children'; id: string; children: OutcomeMessage<ChildOutcome>[]; done: boolean; error?: string };

/** A parent's or child's outcome on the wire: a bytes result as base64 in `resultBytes`, JSON having no bytes. */
export type OutcomeMessage<T extends ParentOutcome = ParentOutcome> = T & { resultBytes?: string };

export function outcomeMessage<T extends ParentOutcome>(outcome: T): OutcomeMessage<T> {
  const { result, ...rest } = outcome;
  return result instanceof Uint8Array
    ? ({ ...rest, resultBytes: Buffer.from(result).toString('base64') } as OutcomeMessage<T>)
    : outcome;
}

const ChildMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), protocol: z.number(), types: z.array(z.string().min(1)) }),
  z.object({ kind: z.literal('progress'), id: z.string(), fraction: z.number() }),
  z.object({
    kind: z.literal('log'),
    id: z.string(),
    level: z.enum(['debug', 'info', 'warning', 'error']),
    message: z.string(),
  }),
  /** The handler's spawn (docs/workflows.md, "Dynamic fan-out"): committed with the job's success, as `context.spawn`. */
  z.object({ kind: z.literal('spawn'), id: z.string(), request: z.unknown() }),
  /** A join's handler asks for the next page of its children (`ctx.children()`). */
  z.object({ kind: z.literal('children'), id: z.string() }),
  z.object({
    kind: z.literal('result'),
    id: z.string(),
    /** Absent when the result is in `file`. */
    value: z.unknown().optional(),
    /** A bytes result, written to this file by the SDK (the worker reads and removes it). */
    file: z.string().optional(),
  }),
  z.object({
    kind: z.literal('error'),
    id: z.string(),
    name: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    traceback: z.string().optional(),
  }),
]);

/** Python → worker. */
export type ChildMessage = z.output<typeof ChildMessageSchema>;

export function encodeMessage(message: WorkerMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** The message on one line, or nothing when the line is not one. */
export function parseChildMessage(line: string): ChildMessage | undefined {
  try {
    const parsed = ChildMessageSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
