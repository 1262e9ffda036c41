import { z } from 'zod';

export const executionProviderSchema = z.enum(['cuda', 'webgpu', 'cpu']);
export type ExecutionProvider = z.infer<typeof executionProviderSchema>;
