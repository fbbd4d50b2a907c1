/** The roles series identification assigns. `other` covers everything that is not one of the four inputs. */
export const MODEL_ROLES = ['t1', 't1ce', 't2', 'flair'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];
export type SeriesRole = ModelRole | 'other';

export function isModelRole(r: string): r is ModelRole {
  return (MODEL_ROLES as readonly string[]).includes(r);
}
