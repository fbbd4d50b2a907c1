import { z } from 'zod';

/** Identity of this node and where it keeps its state. */
export const nodeSection = z
  .object({
    /** Human-readable name in logs and the SR's device observer. */
    name: z.string().min(1).default('neuro-onc-node'),
    /** Folder for the store, database and job work folders. Created if missing. */
    dataDir: z.string().min(1).default('./var'),
  })
  .strict();
