import { z } from 'zod';
import { QueueTopologySchema } from '../jobs/dispatch/index.ts';
import { TypeLimitsSchema } from '../jobs/limits/index.ts';
import { TenantsConfigSchema } from '../jobs/tenants/index.ts';

/** The two kinds of API Gateway API the intake can be: `rest` (REST API, v1) or `http` (HTTP API, v2). */
export const API_KINDS = ['rest', 'http'] as const;
export type ApiKind = (typeof API_KINDS)[number];

/** The stage an HTTP API serves from its root: its URL has no stage path. */
export const HTTP_API_DEFAULT_STAGE = '$default';

/**
 * Everything a tool needs to reach one Tailguard deployment, published by the construct as one
 * stack output (key `<constructId>Manifest`): the local runtime, `tailguard dev`, scripts.
 */
export const TailguardManifestSchema = z.object({
  apiUrl: z.url(),
  apiId: z.string(),
  /** `$default` for an HTTP API, whose URL has no stage path. */
  apiStage: z.string(),
  /** Absent in manifests of deployments from before the HTTP API option: those are REST APIs. */
  apiKind: z.enum(API_KINDS).default('rest'),
  apiAuth: z.enum(['iam', 'apiKey']),
  apiKeyId: z.string().optional(),
  jobsTable: z.string(),
  idempotencyTable: z.string(),
  statsTable: z.string(),
  workersTable: z.string(),
  coordinationTable: z.string(),
  /** Absent in manifests of deployments from before the payload bucket (docs/migration.md). */
  payloadBucket: z.string().optional(),
  payloadInlineBytes: z.number().int().positive().optional(),
  payloadMaxBytes: z.number().int().positive().optional(),
  /** Per-type limits, for workers the construct does not start (tailguard dev's). */
  typeLimits: TypeLimitsSchema.default({}),
  /** Tenants' settings from the props, likewise. */
  tenants: TenantsConfigSchema.default({}),
  /** Tenants' window size, for workers the construct does not start; absent before fair dispatch (its default). */
  fairnessWindowPerWeight: z.number().int().min(0).optional(),
  queues: QueueTopologySchema,
  schedulerQueueUrl: z.url(),
  checksQueueUrl: z.url(),
  scheduleGroup: z.string(),
  stragglerDetector: z.string(),
  reaper: z.string(),
});
export type TailguardManifest = z.infer<typeof TailguardManifestSchema>;

/** Output key suffix of the manifest (the construct's id comes first). */
export const MANIFEST_OUTPUT_SUFFIX = 'Manifest';

/** The manifests among one stack's outputs (key → value), by construct id. */
export function manifestsIn(outputs: Readonly<Record<string, string>>): Map<string, TailguardManifest> {
  const found = new Map<string, TailguardManifest>();
  for (const [key, value] of Object.entries(outputs)) {
    if (!key.endsWith(MANIFEST_OUTPUT_SUFFIX)) continue;
    const parsed = TailguardManifestSchema.safeParse(parseJson(value));
    if (parsed.success) found.set(key.slice(0, -MANIFEST_OUTPUT_SUFFIX.length), parsed.data);
  }
  return found;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
