// The retained `status` payload: plain text `online` or `offline` (also the Last Will), not JSON.
import { z } from 'zod';

export const StatusSchema = z.enum(['online', 'offline']);

export type Status = z.infer<typeof StatusSchema>;
