import { z } from 'zod';
import { SopClass } from '../../dicom/constants';
import { isValidUid } from '../../dicom/uids';

/**
 * SOP Classes a brain-MRI node stores by default: MR images (classic and enhanced), and the derived objects a
 * PACS may route along with them (segmentations, SRs, key object selections, secondary captures, PDFs,
 * parametric maps, presentation states). Anything else is refused with STOW FailureReason / C-STORE 0x0122.
 */
export const DEFAULT_ACCEPTED_SOP_CLASSES: readonly string[] = [
  SopClass.MRImage,
  SopClass.EnhancedMRImage,
  '1.2.840.10008.5.1.4.1.1.4.3', // Enhanced MR Color Image
  '1.2.840.10008.5.1.4.1.1.4.4', // Legacy Converted Enhanced MR Image
  '1.2.840.10008.5.1.4.1.1.4.2', // MR Spectroscopy
  '1.2.840.10008.5.1.4.1.1.30', // Parametric Map
  SopClass.Segmentation,
  SopClass.LabelMapSegmentation,
  SopClass.BasicTextSR,
  SopClass.EnhancedSR,
  SopClass.ComprehensiveSR,
  SopClass.Comprehensive3DSR,
  SopClass.KeyObjectSelection,
  SopClass.SecondaryCapture,
  SopClass.MultiframeGrayscaleByteSC,
  SopClass.MultiframeGrayscaleWordSC,
  SopClass.MultiframeTrueColorSC,
  SopClass.EncapsulatedPDF,
  '1.2.840.10008.5.1.4.1.1.11.1', // Grayscale Softcopy Presentation State
];

/** Identity of this node and where it keeps its state. */
export const nodeSection = z
  .object({
    /** Human-readable name in logs and the SR's device observer. */
    name: z.string().min(1).default('neuro-onc-node'),
    /** Folder for the store, database and job work folders. Created if missing. */
    dataDir: z.string().min(1).default('./var'),
    /** SOP Class UIDs the store accepts (STOW-RS and C-STORE); ["*"] accepts every SOP Class. */
    acceptedSopClasses: z
      .array(z.string().refine((s) => s === '*' || isValidUid(s), { message: 'must be a SOP Class UID or "*"' }))
      .min(1)
      .default([...DEFAULT_ACCEPTED_SOP_CLASSES]),
    /**
     * fsync every received file and its folder before acknowledging it (STOW-RS 200/202, C-STORE success), so an
     * acknowledged instance survives a power loss or OS crash. false skips the fsyncs: still safe against a crash
     * of the node process (kill -9), not against losing the machine. Only for storage with its own protection
     * (battery-backed cache) or throwaway set-ups.
     */
    durableWrites: z.boolean().default(true),
    /**
     * Refuse new instances (STOW-RS 503 with Retry-After, C-STORE 0xA700 Out of Resources) while the disk holding
     * dataDir has less free space than this, so a full disk never corrupts what was received. 0 = no check.
     */
    minFreeDiskMb: z.number().min(0).default(1024),
    /**
     * A SOP Instance received again with a different data set (an identical data set, whatever its preamble, File
     * Meta Information or transfer syntax, is always a plain success): keep-first keeps the stored copy and answers
     * with a warning (C-STORE 0xB000, STOW WarningReason 0xB000); replace stores the new copy and re-processes the
     * study. Senders are never stopped (docs/dimse.md, Duplicates).
     */
    duplicatePolicy: z.enum(['keep-first', 'replace']).default('keep-first'),
    /** How long the node keeps a processed study (docs/retention.md). The PACS is the archive, not the node. */
    retention: z
      .object({
        /**
         * Days after a study's results were delivered (its job done, no new instance since) before its received
         * instances and job work files are deleted. Job records and stage outputs stay as the audit trail.
         * Studies whose job failed or is still running are never deleted automatically. 0 = keep forever.
         */
        days: z.number().min(0).default(14),
        /** How often the node looks for studies past retention. */
        sweepIntervalMinutes: z.number().positive().default(60),
      })
      .strict()
      .prefault({}),
  })
  .strict();
