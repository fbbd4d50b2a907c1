/** The delivery state file (<job>/work/delivery-state.json) as a schema: read back by a resumed delivery and the result pages. */
import { z } from 'zod';
import type { DeliveryState, DestinationState } from './deliver';

export const destinationStateSchema: z.ZodType<DestinationState> = z.looseObject({
  attempts: z.number().int().nonnegative(),
  confirmed: z.array(z.string()),
  lastError: z.string().optional(),
  lastAttemptAt: z.string().optional(),
  deadLetter: z.boolean(),
});

export const deliveryStateSchema: z.ZodType<DeliveryState> = z.looseObject({ destinations: z.record(z.string(), destinationStateSchema) });
