/**
 * The audit trail (docs/audit.md): what happened to which study, who did it, tamper-evident.
 *
 * Other capabilities record through an AuditSink (node.audit):
 *   node.audit.record({ type: 'review', actor: { user }, jobId, studyInstanceUid, model, decision: 'accepted' });
 *   node.audit.record({ type: 'molecular-entry', actor: { user }, studyInstanceUid, fields: ['idh', 'grade'] });
 */
export * from './events';
export { AuditTrail, auditLogPath } from './trail';
