/**
 * Audit records as DICOM PS3.15 Annex A.5 audit messages (the IHE ATNA format): pure functions from a record to
 * XML that validates against the DICOM audit message schema (conformance/audit/dicom-audit-message.rnc).
 *
 * Mapping (docs/audit.md has the table): receipts and WADO-RS retrievals and deliveries -> DICOM Instances
 * Transferred (110104); a job entering `delivering` -> Begin Transferring DICOM Instances (110102); result pages,
 * reviews and tissue results -> DICOM Instances Accessed (110103); deletions -> DICOM Study Deleted (110105);
 * QIDO-RS -> Query (110112); refused credentials -> User Authentication (110114); out-of-scope requests, a
 * configuration change and tampering found in the trail -> Security Alert (110113); start and stop -> Application
 * Activity (110100). Job transitions and model runs have no DICOM event: they use local codes (scheme 99NEUROONC).
 * No patient participant is sent: the trail holds no patient identity (docs/audit.md, PHI); the repository
 * correlates by Study Instance UID.
 */
import type { AuditActor, AuditEvent, AuditRecord } from './events';

export interface AtnaContext {
  /** AuditSourceID (default node.name). */
  sourceId: string;
  enterpriseSiteId?: string;
  /** The node as an active participant: its AE title and host name. */
  aeTitle: string;
  hostname: string;
  /** Process id, the AlternativeUserID of the node (RFC 3881 convention). */
  pid: number;
}

interface Code {
  code: string;
  scheme: string;
  meaning: string;
}

const dcm = (code: string, meaning: string): Code => ({ code, scheme: 'DCM', meaning });
const local = (code: string, meaning: string): Code => ({ code, scheme: '99NEUROONC', meaning });

const EV = {
  applicationActivity: dcm('110100', 'Application Activity'),
  beginTransferring: dcm('110102', 'Begin Transferring DICOM Instances'),
  instancesAccessed: dcm('110103', 'DICOM Instances Accessed'),
  instancesTransferred: dcm('110104', 'DICOM Instances Transferred'),
  studyDeleted: dcm('110105', 'DICOM Study Deleted'),
  query: dcm('110112', 'Query'),
  securityAlert: dcm('110113', 'Security Alert'),
  userAuthentication: dcm('110114', 'User Authentication'),
  jobTransition: local('JOB', 'Job State Change'),
  modelRun: local('MODELRUN', 'AI Model Run'),
};
const TYPE = {
  applicationStart: dcm('110120', 'Application Start'),
  applicationStop: dcm('110121', 'Application Stop'),
  login: dcm('110122', 'Login'),
  softwareConfiguration: dcm('110131', 'Software Configuration'),
  restrictedFunction: dcm('110132', 'Use of Restricted Function'),
  review: local('REVIEW', 'Result Review'),
  molecular: local('TISSUE', 'Tissue Result Entry'),
  tamper: local('TAMPER', 'Audit Trail Tampering Detected'),
};
const ROLE = {
  application: dcm('110150', 'Application'),
  destination: dcm('110152', 'Destination Role ID'),
  source: dcm('110153', 'Source Role ID'),
};
const IDTYPE = {
  study: dcm('110180', 'Study Instance UID'),
  sopClass: dcm('110181', 'SOP Class UID'),
  nodeId: dcm('110182', 'Node ID'),
  uri: { code: '12', scheme: 'RFC-3881', meaning: 'URI' },
  job: local('JOBID', 'Job Number'),
  model: local('MODEL', 'AI Model'),
};
/** Study Root Query/Retrieve Information Model - FIND: the SOP class a QIDO-RS search stands for. */
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

export function xmlEscape(s: string): string {
  // Control characters (other than tab, CR, LF) are not allowed in XML 1.0 at all: replaced.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\uFFFD');
}

/** xsd:token: no leading, trailing or repeated spaces, no tabs or line breaks; never empty. */
function token(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t || '-';
}

function attrs(a: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

function coded(tag: string, c: Code): string {
  return `<${tag}${attrs({ 'csd-code': c.code, codeSystemName: c.scheme, originalText: c.meaning })}/>`;
}

type Outcome = '0' | '4' | '8' | '12';

interface Participant {
  userId: string;
  alt?: string;
  requestor: boolean;
  address?: string;
  /** 1 machine name, 2 IP address */
  napType?: '1' | '2';
  role?: Code;
}

interface ObjectId {
  id: string;
  idType: Code;
  name?: string;
  query?: string;
  typeCode: '1' | '2' | '3' | '4';
  role?: string;
  lifeCycle?: string;
  details?: Record<string, string>;
  sopClasses?: Array<{ uid?: string; count: number }>;
}

interface Message {
  id: Code;
  action?: 'C' | 'R' | 'U' | 'D' | 'E';
  outcome: Outcome;
  description?: string;
  types?: Code[];
  participants: Participant[];
  objects: ObjectId[];
}

function participantXml(p: Participant): string {
  return `<ActiveParticipant${attrs({ UserID: p.userId, AlternativeUserID: p.alt, UserIsRequestor: p.requestor, NetworkAccessPointID: p.address ? token(p.address) : undefined, NetworkAccessPointTypeCode: p.address ? (p.napType ?? '2') : undefined })}>${p.role ? coded('RoleIDCode', p.role) : ''}</ActiveParticipant>`;
}

function objectXml(o: ObjectId): string {
  const details = Object.entries(o.details ?? {})
    .map(([type, value]) => `<ParticipantObjectDetail${attrs({ type: token(type), value: Buffer.from(value, 'utf8').toString('base64') })}/>`)
    .join('');
  const description = o.sopClasses?.length ? `<ParticipantObjectDescription>${o.sopClasses.map((s) => `<SOPClass${attrs({ UID: s.uid, NumberOfInstances: s.count })}/>`).join('')}</ParticipantObjectDescription>` : '';
  const nameOrQuery = o.query !== undefined ? `<ParticipantObjectQuery>${Buffer.from(o.query, 'utf8').toString('base64')}</ParticipantObjectQuery>` : `<ParticipantObjectName>${xmlEscape(token(o.name ?? o.id))}</ParticipantObjectName>`;
  return `<ParticipantObjectIdentification${attrs({ ParticipantObjectID: token(o.id), ParticipantObjectTypeCode: o.typeCode, ParticipantObjectTypeCodeRole: o.role, ParticipantObjectDataLifeCycle: o.lifeCycle })}>${coded('ParticipantObjectIDTypeCode', o.idType)}${nameOrQuery}${details}${description}</ParticipantObjectIdentification>`;
}

function messageXml(m: Message, at: string, ctx: AtnaContext): string {
  const event = `<EventIdentification${attrs({ EventActionCode: m.action, EventDateTime: at, EventOutcomeIndicator: m.outcome })}>${coded('EventID', m.id)}${(m.types ?? []).map((t) => coded('EventTypeCode', t)).join('')}${m.description ? `<EventOutcomeDescription>${xmlEscape(m.description)}</EventOutcomeDescription>` : ''}</EventIdentification>`;
  const source = `<AuditSourceIdentification${attrs({ AuditEnterpriseSiteID: ctx.enterpriseSiteId ? token(ctx.enterpriseSiteId) : undefined, AuditSourceID: token(ctx.sourceId) })}><AuditSourceTypeCode csd-code="4"/></AuditSourceIdentification>`;
  return `<?xml version="1.0" encoding="UTF-8"?><AuditMessage>${event}${m.participants.map(participantXml).join('')}${source}${m.objects.map(objectXml).join('')}</AuditMessage>`;
}

/** The node itself as an active participant. */
function self(ctx: AtnaContext, requestor: boolean, role?: Code): Participant {
  return { userId: ctx.aeTitle, alt: String(ctx.pid), requestor, address: ctx.hostname, napType: '1', ...(role ? { role } : {}) };
}

/** A person or peer: user name, else AE title, else address. */
function actor(a: AuditActor | undefined, requestor: boolean, role?: Code): Participant {
  const userId = a?.user ?? a?.aeTitle ?? a?.address ?? 'unknown';
  return { userId, ...(a?.user && a.aeTitle ? { alt: a.aeTitle } : {}), requestor, ...(a?.address ? { address: a.address, napType: '2' as const } : {}), ...(role ? { role } : {}) };
}

function study(uid: string | undefined, extra: Partial<ObjectId> = {}): ObjectId[] {
  return uid ? [{ id: uid, idType: IDTYPE.study, name: 'study', typeCode: '2', role: '3', ...extra }] : [];
}

const job = (id: number, state?: string): ObjectId => ({ id: String(id), idType: IDTYPE.job, name: `job ${id}`, typeCode: '2', role: '20', ...(state ? { details: { state } } : {}) });

/** The messages one record becomes (most: one; a start after a configuration change: two). */
export function atnaMessages(r: AuditRecord, ctx: AtnaContext): string[] {
  return messagesOf(r.event, ctx).map((m) => messageXml(m, r.at, ctx));
}

function messagesOf(e: AuditEvent, ctx: AtnaContext): Message[] {
  switch (e.type) {
    case 'receipt': {
      const rejected = Object.values(e.rejected).reduce((a, b) => a + b, 0);
      const kept = e.stored + e.duplicates;
      const outcome: Outcome = rejected === 0 ? '0' : kept > 0 ? '4' : '8';
      return [{
        id: EV.instancesTransferred,
        action: 'C',
        outcome,
        ...(rejected ? { description: `refused: ${Object.entries(e.rejected).map(([k, v]) => `${v} ${k}`).join(', ')}` } : {}),
        participants: [actor(e.actor, true, ROLE.source), self(ctx, false, ROLE.destination)],
        objects: study(e.studyInstanceUid, { lifeCycle: '2', sopClasses: Object.entries(e.sopClasses).map(([uid, count]) => ({ uid, count })), details: { stored: String(e.stored), duplicates: String(e.duplicates), channel: e.channel } }),
      }];
    }
    case 'job-transition': {
      const base: Message = { id: EV.jobTransition, action: 'U', outcome: e.to === 'failed' ? '8' : '0', participants: [self(ctx, true, ROLE.application)], objects: [job(e.jobId, `${e.from ?? 'unknown'} -> ${e.to}`), ...study(e.studyInstanceUid)] };
      if (e.to !== 'delivering') return [base];
      return [base, { id: EV.beginTransferring, action: 'E', outcome: '0', participants: [self(ctx, true, ROLE.source)], objects: [...study(e.studyInstanceUid), job(e.jobId)] }];
    }
    case 'model-run':
      return [{
        id: EV.modelRun,
        action: 'E',
        outcome: '0',
        participants: [self(ctx, true, ROLE.application)],
        objects: [{ id: `${e.model}@${e.version}`, idType: IDTYPE.model, name: `${e.model} ${e.version}`, typeCode: '2', role: '26', details: { sha256: e.sha256, version: e.version, ...(e.executionProvider ? { executionProvider: e.executionProvider } : {}) } }, ...study(e.studyInstanceUid, { lifeCycle: '8' }), job(e.jobId)],
      }];
    case 'delivery':
      return [{
        id: EV.instancesTransferred,
        action: 'R',
        outcome: e.status === 'delivered' ? '0' : '8',
        ...(e.error ? { description: e.error } : {}),
        participants: [self(ctx, true, ROLE.source), { userId: e.destination, requestor: false, role: ROLE.destination }],
        objects: [...study(e.studyInstanceUid, { lifeCycle: '10', details: { confirmed: String(e.confirmed), attempts: String(e.attempts) } }), job(e.jobId)],
      }];
    case 'review':
      return [{
        id: EV.instancesAccessed,
        action: 'U',
        outcome: '0',
        types: [TYPE.review],
        participants: [actor(e.actor, true), self(ctx, false, ROLE.application)],
        objects: [...study(e.studyInstanceUid, { lifeCycle: '4', details: { decision: e.decision, model: e.model, ...(e.reasonCode ? { reasonCode: e.reasonCode } : {}), ...(e.srInstanceUid ? { srInstanceUid: e.srInstanceUid } : {}), ...(e.correctedSegInstanceUid ? { correctedSegInstanceUid: e.correctedSegInstanceUid } : {}) } }), job(e.jobId)],
      }];
    case 'molecular-entry':
      return [{
        id: EV.instancesAccessed,
        action: 'U',
        outcome: '0',
        types: [TYPE.molecular],
        participants: [actor(e.actor, true), self(ctx, false, ROLE.application)],
        objects: study(e.studyInstanceUid, { lifeCycle: '3', details: { fields: e.fields.join(','), ...(e.srInstanceUid ? { srInstanceUid: e.srInstanceUid } : {}) } }),
      }];
    case 'access':
      return [{
        id: e.channel === 'wado' ? EV.instancesTransferred : EV.instancesAccessed,
        action: 'R',
        outcome: '0',
        participants: e.channel === 'wado' ? [self(ctx, false, ROLE.source), actor(e.actor, true, ROLE.destination)] : [actor(e.actor, true), self(ctx, false, ROLE.application)],
        objects: [...study(e.studyInstanceUid, { lifeCycle: '6', details: { channel: e.channel, requests: String(e.requests), instances: String(e.instances) } }), ...(e.jobId !== undefined ? [job(e.jobId)] : [])],
      }];
    case 'query':
      return [{
        id: EV.query,
        action: 'E',
        outcome: '0',
        participants: [actor(e.actor, true, ROLE.source), self(ctx, false, ROLE.destination)],
        objects: [{ id: STUDY_ROOT_FIND, idType: IDTYPE.sopClass, query: `${e.level}: ${e.keys.join(',')}`, typeCode: '2', role: '24', details: { results: String(e.results) } }],
      }];
    case 'authentication':
      return e.outcome === 'refused'
        ? [{ id: EV.userAuthentication, action: 'E', outcome: '4', description: e.detail, types: [TYPE.login], participants: [actor(e.actor, true), self(ctx, false, ROLE.application)], objects: [] }]
        : [{ id: EV.securityAlert, action: 'E', outcome: '4', description: e.detail, types: [TYPE.restrictedFunction], participants: [actor(e.actor, true), self(ctx, false, ROLE.application)], objects: [] }];
    case 'deletion':
      return [{
        id: EV.studyDeleted,
        action: 'D',
        outcome: '0',
        participants: [e.actor ? actor(e.actor, true) : self(ctx, true, ROLE.application), ...(e.actor ? [self(ctx, false, ROLE.application)] : [])],
        objects: study(e.studyInstanceUid, { lifeCycle: '14', details: { reason: e.reason, instances: String(e.instances) } }),
      }];
    case 'application': {
      const activity: Message = { id: EV.applicationActivity, action: 'E', outcome: '0', types: [e.action === 'start' ? TYPE.applicationStart : TYPE.applicationStop], participants: [self(ctx, false, ROLE.application)], objects: [] };
      if (!e.previousConfigHash) return [activity];
      const node: ObjectId = { id: ctx.aeTitle, idType: IDTYPE.nodeId, name: ctx.sourceId, typeCode: '2', role: '13', details: { configHash: e.configHash ?? '', previousConfigHash: e.previousConfigHash } };
      return [activity, { id: EV.securityAlert, action: 'E', outcome: '0', description: 'configuration changed since the previous start', types: [TYPE.softwareConfiguration], participants: [self(ctx, true, ROLE.application)], objects: [node] }];
    }
    case 'tamper-detected':
      return [{
        id: EV.securityAlert,
        action: 'E',
        outcome: '8',
        description: e.problem,
        types: [TYPE.tamper],
        participants: [self(ctx, true, ROLE.application)],
        objects: [{ id: 'audit-log.jsonl', idType: IDTYPE.uri, name: `audit log record ${e.seq}`, typeCode: '2', role: '13' }],
      }];
  }
}
