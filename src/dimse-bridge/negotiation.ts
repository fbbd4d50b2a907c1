/**
 * Presentation-context decisions, as pure functions: what the SCP accepts from a proposal, and what the SCU
 * proposes for a set of objects. The network code in scp.ts / scu.ts only applies these decisions.
 */
import { SopClass, TransferSyntax } from '../dicom/constants';
import {
  STORAGE_SOP_CLASSES,
  STORAGE_TRANSFER_SYNTAXES,
  VERIFICATION_TRANSFER_SYNTAXES,
  isUncompressedLittleEndian,
} from './conformance';

/** PS3.8 presentation context results (same numbers as dcmjs-dimse's PresentationContextResult). */
export const ContextResult = {
  Accept: 0,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** Storage SOP Class UIDs all live under this root (PS3.4 B.5); used when the store accepts every SOP class. */
const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';

/**
 * Which SOP classes the SCP accepts: the store's node.acceptedSopClasses (["*"] = every storage SOP class), so an
 * object the store would refuse is refused earlier, at association time (presentation context rejected).
 */
export function sopClassAcceptor(acceptedSopClasses: readonly string[]): (uid: string) => boolean {
  if (acceptedSopClasses.includes('*')) return (uid) => uid.startsWith(STORAGE_ROOT) || uid === '1.2.840.10008.5.1.4.1.1';
  const set = new Set(acceptedSopClasses);
  return (uid) => set.has(uid);
}

export interface ProposedContext {
  id: number;
  abstractSyntaxUid: string;
  transferSyntaxUids: string[];
}

export interface ContextDecision {
  id: number;
  abstractSyntaxUid: string;
  result: (typeof ContextResult)[keyof typeof ContextResult];
  /** The accepted transfer syntax (only when result is Accept). */
  transferSyntaxUid?: string;
}

/**
 * The SCP's choice for one proposed context. Storage: accept the first proposed syntax we support, so the
 * sender's preferred (often compressed) encoding is what we store; the one exception is that Explicit VR LE is
 * taken over Implicit VR LE when both are offered (same pixels, and explicit VRs survive in the stored file).
 */
export function decideContext(pc: ProposedContext, acceptsSopClass: (uid: string) => boolean = (uid) => STORAGE_SOP_CLASSES.has(uid)): ContextDecision {
  const base = { id: pc.id, abstractSyntaxUid: pc.abstractSyntaxUid };
  if (pc.abstractSyntaxUid === SopClass.Verification) {
    const ts = VERIFICATION_TRANSFER_SYNTAXES.find((t) => pc.transferSyntaxUids.includes(t));
    return ts ? { ...base, result: ContextResult.Accept, transferSyntaxUid: ts } : { ...base, result: ContextResult.TransferSyntaxesNotSupported };
  }
  if (!acceptsSopClass(pc.abstractSyntaxUid)) return { ...base, result: ContextResult.AbstractSyntaxNotSupported };
  const supported = pc.transferSyntaxUids.filter((t) => STORAGE_TRANSFER_SYNTAXES.has(t));
  if (supported.length === 0) return { ...base, result: ContextResult.TransferSyntaxesNotSupported };
  let ts = supported[0]!;
  if (ts === TransferSyntax.ImplicitVRLittleEndian && supported.includes(TransferSyntax.ExplicitVRLittleEndian)) {
    ts = TransferSyntax.ExplicitVRLittleEndian;
  }
  return { ...base, result: ContextResult.Accept, transferSyntaxUid: ts };
}

export interface ObjectToPropose {
  sopClassUid: string;
  transferSyntaxUid: string;
}

export interface ProposalContext {
  abstractSyntaxUid: string;
  transferSyntaxUids: string[];
}

/**
 * The SCU's proposal for a batch: per SOP class, one context with the plain syntaxes (Explicit then Implicit VR LE)
 * and, for each other syntax an object is encoded in, one extra context offering just that syntax, so a peer can
 * accept "as is" where it can and we learn exactly which encodings it refuses.
 */
export function proposeContexts(objects: ObjectToPropose[]): ProposalContext[] {
  const out: ProposalContext[] = [];
  const seen = new Set<string>();
  for (const o of objects) {
    const plainKey = `${o.sopClassUid}|plain`;
    if (!seen.has(plainKey)) {
      seen.add(plainKey);
      out.push({ abstractSyntaxUid: o.sopClassUid, transferSyntaxUids: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] });
    }
    if (!isUncompressedLittleEndian(o.transferSyntaxUid)) {
      const key = `${o.sopClassUid}|${o.transferSyntaxUid}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ abstractSyntaxUid: o.sopClassUid, transferSyntaxUids: [o.transferSyntaxUid] });
      }
    }
  }
  return out;
}

export interface AcceptedContext {
  abstractSyntaxUid: string;
  /** Accepted transfer syntax. */
  transferSyntaxUid: string;
}

export type SendPlan =
  | { ok: true; transferSyntaxUid: string; reencode: boolean }
  | { ok: false; reason: string };

/**
 * How to send one object given what the peer accepted: as is when its own syntax was accepted; re-encoded between
 * Explicit and Implicit VR LE when only the other plain syntax was accepted (lossless, dcmjs does it); otherwise a
 * clear per-object refusal (we never decompress or recompress results).
 */
export function planSend(obj: ObjectToPropose, accepted: AcceptedContext[]): SendPlan {
  const forClass = accepted.filter((a) => a.abstractSyntaxUid === obj.sopClassUid);
  if (forClass.length === 0) {
    return { ok: false, reason: `peer rejected every presentation context for SOP class ${obj.sopClassUid} (abstract syntax not supported)` };
  }
  if (forClass.some((a) => a.transferSyntaxUid === obj.transferSyntaxUid)) {
    return { ok: true, transferSyntaxUid: obj.transferSyntaxUid, reencode: false };
  }
  if (isUncompressedLittleEndian(obj.transferSyntaxUid)) {
    const other = forClass.find((a) => isUncompressedLittleEndian(a.transferSyntaxUid));
    if (other) return { ok: true, transferSyntaxUid: other.transferSyntaxUid, reencode: true };
  }
  return {
    ok: false,
    reason:
      `peer accepted SOP class ${obj.sopClassUid} only with ${forClass.map((a) => a.transferSyntaxUid).join(', ')}, ` +
      `not with the object's transfer syntax ${obj.transferSyntaxUid} (the node does not transcode compressed objects)`,
  };
}
