import { z } from 'zod';
import { EXECUTION_PROVIDERS, type ExecutionProviderName } from '../../ai/providers';

const routingRule = z
  .object({
    model: z.string().min(1),
    /** Run when all of these roles were identified. */
    whenRoles: z.array(z.enum(['t1', 't1ce', 't2', 'flair'])).default([]),
    /** Run when StudyDescription or ReasonForStudy matches (case-insensitive regex). */
    whenStudyMatches: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s, 'i');
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
  })
  .strict();

/** Model packages and the ONNX runtime (docs/ai-engine.md). */
export const modelsSection = z
  .object({
    dir: z.string().min(1).default('./models'),
    /**
     * Tried in order; the first that loads runs (logged). The default is by expected speed: CUDA (when installed,
     * docs/deployment.md), then WebGPU (Vulkan, shipped in onnxruntime-node), then CPU. A provider that cannot start
     * is skipped, and remembered for the process (docs/ai-engine.md).
     */
    executionProviders: z.array(z.enum(EXECUTION_PROVIDERS as [ExecutionProviderName, ...ExecutionProviderName[]])).min(1).default([...EXECUTION_PROVIDERS]),
    /** WebGPU provider options (the Node binding exposes no adapter selection: Dawn takes its default adapter). */
    webgpu: z
      .object({
        /** Layout of layout-sensitive operators (Conv) on WebGPU; onnxruntime's default is NCHW. */
        preferredLayout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
      })
      .strict()
      .default({ preferredLayout: 'NCHW' }),
    /** onnxruntime intra-op threads per session; 0 = onnxruntime's default (all cores). */
    intraOpNumThreads: z.number().int().min(0).default(0),
    /** onnxruntime inter-op threads; 0 = default. */
    interOpNumThreads: z.number().int().min(0).default(1),
    /** Run one forward on zeros per routed model at start-up (worker threads), so the first study does not pay the first-run cost. */
    warmUp: z.boolean().default(true),
    /** Model runs at a time per execution provider (cpu, cuda, webgpu); 1 keeps one device from being oversubscribed. */
    concurrencyPerDevice: z.number().int().min(1).default(1),
    /** Flip TTA where the manifest allows it. */
    testTimeAugmentation: z.boolean().default(true),
    /** Tumour components (and enhancing components) smaller than this are removed, in mL. */
    minComponentMl: z.number().min(0).default(0.1),
    /** Decode WT/TC/ET from summed class probabilities (WT ⊇ TC ⊇ ET) instead of a plain argmax. */
    hierarchicalDecoding: z.boolean().default(true),
    /** Layered diagnosis: the leading WHO CNS5 branch must reach this probability, else "indeterminate". */
    minBranchProbability: z.number().min(0).max(1).default(0.5),
    /** Leave-one-modality-out re-inference (one extra model run per present sequence). */
    modalityImportance: z.boolean().default(true),
    /** Use flip TTA in the leave-one-out runs too (costs passes x runs). */
    modalityImportanceTta: z.boolean().default(false),
    /**
     * Withhold a model's segmentation (SEG, volumes) when the study lacks the sequences its manifest says the
     * segmentation needs (missingModalities.segmentationRequires: the model card shows it unreliable without them).
     * The classification results are still reported, and the SR says what was withheld and why.
     */
    withholdUnvalidatedSegmentation: z.boolean().default(true),
    /** IBSI shape/first-order and VASARI-style features. */
    radiomics: z.boolean().default(true),
    /** Fixed bin number for histogram features. */
    radiomicsBins: z.number().int().min(2).default(32),
    routing: z.array(routingRule).default([
      { model: 'glioma-mtl', whenRoles: ['flair'] },
      { model: 'glioma-mtl', whenRoles: ['t2'] },
      { model: 'brainmets-egfr', whenRoles: ['t1ce'], whenStudyMatches: 'metasta|mets\\b|secondar' },
    ]),
  })
  .strict();
