/** The roles series identification assigns. `other` covers everything that is not one of the four inputs. */
export const MODEL_ROLES = ['t1', 't1ce', 't2', 'flair'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];
export type SeriesRole = ModelRole | 'other';

/** How reports and messages name the roles. */
export const ROLE_NAMES: Record<ModelRole, string> = { t1: 'T1', t1ce: 'T1ce', t2: 'T2', flair: 'FLAIR' };

export function isModelRole(r: string): r is ModelRole {
  return (MODEL_ROLES as readonly string[]).includes(r);
}
