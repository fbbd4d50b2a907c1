/**
 * Execution provider names (pure: no onnxruntime import, so the cluster's queue rules and the configuration can use
 * them without loading the native runtime).
 */
export type ExecutionProviderName = 'cuda' | 'webgpu' | 'cpu';

/** Every provider the node can try, in the default order: by expected speed (docs/ai-engine.md). */
export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ['cuda', 'webgpu', 'cpu'];

/** Providers that run on a GPU: the cluster sends GPU-only jobs to workers that started one of these. */
export const GPU_PROVIDERS: readonly ExecutionProviderName[] = ['cuda', 'webgpu'];

export function isGpuProvider(name: string): boolean {
  return (GPU_PROVIDERS as readonly string[]).includes(name);
}
