/**
 * Upper-layer PDU framing check, applied to the raw byte stream before dcmjs-dimse sees it (PS3.8 9.3).
 *
 * Why: dcmjs-dimse collects a whole PDU in memory before it looks at it, whatever length the header declares. A
 * peer that declares a 4 GB A-ASSOCIATE-RQ and keeps sending would be buffered (and re-concatenated, costing CPU)
 * until a timeout. The guard only reads each 6-byte PDU header and counts the bytes of its body, so it holds no
 * data; the first PDU whose declared length is over the limit, or of an unknown type, is a violation, and the SCP
 * answers A-ABORT and closes at once. Pure state machine: no I/O.
 */

/** PDU types of PS3.8 9.3.1. */
export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** Association-phase PDUs (A-ASSOCIATE-RQ, release, abort) are small; this cap applies even with a small maxPduLength. */
export const MIN_CONTROL_PDU_LIMIT = 64 * 1024;

export interface PduLimits {
  /** Largest P-DATA-TF body (the Maximum Length we announce in A-ASSOCIATE-AC, dimse.maxPduLength). */
  maxPDataLength: number;
  /** Largest body of any other PDU. */
  maxControlLength: number;
}

export function pduLimits(maxPduLength: number): PduLimits {
  return { maxPDataLength: maxPduLength, maxControlLength: Math.max(maxPduLength, MIN_CONTROL_PDU_LIMIT) };
}

export interface PduViolation {
  /** What was wrong, for the log (no PHI: only types and lengths). */
  message: string;
  /** A-ABORT reason (PS3.8 9.3.8): 1 unrecognized PDU, 2 unexpected PDU, 6 invalid PDU parameter value. */
  abortReason: 1 | 2 | 6;
}

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(PduType));

export class PduLengthGuard {
  /** Bytes of the current PDU body still to come (0: the next byte starts a header). */
  private remaining = 0;
  /** A header split across chunks. */
  private header = Buffer.alloc(0);
  private pdus = 0;
  private violation: PduViolation | undefined;

  constructor(private readonly limits: PduLimits) {}

  /** Feeds received bytes; returns the first violation (and keeps returning it). */
  feed(chunk: Buffer): PduViolation | undefined {
    let pos = 0;
    while (!this.violation && pos < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - pos);
        this.remaining -= take;
        pos += take;
        continue;
      }
      const need = 6 - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + need)]);
      pos += Math.min(need, chunk.length - pos);
      if (this.header.length < 6) break;
      this.violation = this.check(this.header[0]!, this.header.readUInt32BE(2));
      this.remaining = this.header.readUInt32BE(2);
      this.header = Buffer.alloc(0);
      this.pdus++;
    }
    return this.violation;
  }

  private check(type: number, length: number): PduViolation | undefined {
    if (!KNOWN_TYPES.has(type)) return { message: `unknown PDU type 0x${type.toString(16).padStart(2, '0')}`, abortReason: 1 };
    if (this.pdus === 0 && type !== PduType.AssociateRq) {
      return { message: `first PDU is type 0x${type.toString(16).padStart(2, '0')}, not an A-ASSOCIATE-RQ`, abortReason: 2 };
    }
    const limit = type === PduType.PData ? this.limits.maxPDataLength : this.limits.maxControlLength;
    if (length > limit) {
      const what = type === PduType.PData ? 'P-DATA-TF' : `PDU type 0x${type.toString(16).padStart(2, '0')}`;
      return { message: `${what} declares ${length} bytes, over the limit of ${limit} (dimse.maxPduLength)`, abortReason: 6 };
    }
    return undefined;
  }
}

/** A-ABORT PDU from the service provider (source 2) with a reason (PS3.8 9.3.8). */
export function encodeAbortPdu(reason: number): Buffer {
  return Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, 2, reason]);
}
