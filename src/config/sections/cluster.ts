import { z } from 'zod';
import { inlineOrFileSecret } from './secret';

/**
 * Distributed mode (docs/scale-out.md): `serve --role receiver|worker` share a Redis (BullMQ) queue. Unused by the
 * default `--role all`, which keeps the embedded single-process SQLite queue.
 */
export const clusterSection = z
  .object({
    /** Redis that holds the queue (redis://[:password@]host:port[/db]); run it with appendonly yes. */
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** Prefix of the queues' Redis keys: two clusters may share one Redis with different prefixes. */
    queuePrefix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only').default('neuro-onc'),
    /** The receiver's base URL as the workers reach it (WADO-RS fetch, reports); default http.publicBaseUrl, else the listening address. */
    receiverUrl: z.string().url().optional(),
    /** Jobs a receiver keeps dispatched at once (the queue orders them; the workers set the pace). */
    maxInFlight: z.number().int().min(1).default(1000),
    /**
     * Which workers may take this receiver's jobs: 'auto' = 'cuda' when models.executionProviders has no 'cpu' (the
     * models are pinned to the GPU), else 'any'.
     */
    jobProvider: z.enum(['auto', 'any', 'cuda']).default('auto'),
    /** A worker that stops renewing its lock this long (killed, frozen) loses the job to another worker. */
    lockSeconds: z.number().min(1).max(3600).default(30),
    /** Times a job may lose its worker before it counts as a failed attempt on the receiver. */
    maxStalls: z.number().int().min(0).default(3),
    worker: z
      .object({
        /** Shown on the dashboard and in /metrics; default <hostname>-<pid>. */
        name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/).optional(),
        /** Jobs this worker runs at once. */
        concurrency: z.number().int().min(1).default(1),
        /** Take GPU jobs even without a GPU provider (they then run on the CPU, slowly). */
        takeGpuJobsOnCpu: z.boolean().default(false),
        /** The receiver's http.auth user for this worker (scopes read + operate): a service account. */
        receiverUser: z.string().optional(),
        receiverSecret: z.string().min(1).optional(),
        receiverSecretFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({})
      .transform((w, ctx) => {
        const { receiverSecretFile, ...rest } = w;
        const secret = inlineOrFileSecret(w.receiverSecret, receiverSecretFile, 'receiverSecret', ctx, true);
        if (secret !== undefined && !w.receiverUser) ctx.addIssue({ code: 'custom', path: ['receiverUser'], message: 'receiverSecret needs receiverUser (the http.auth user it belongs to)' });
        return { ...rest, ...(secret !== undefined ? { receiverSecret: secret } : {}) };
      }),
  })
  .strict();

export type ClusterConfig = z.infer<typeof clusterSection>;
export type ClusterRole = 'all' | 'receiver' | 'worker';
