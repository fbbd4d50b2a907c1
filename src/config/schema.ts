/**
 * The whole configuration. Each capability owns its section (src/config/sections/*.ts);
 * this file only composes them. Every field has a default, so an empty file is a valid config.
 */
import { z } from 'zod';
import { nodeSection } from './sections/node';
import { httpSection } from './sections/http';
import { studySection } from './sections/study';
import { dimseSection } from './sections/dimse';
import { destinationsSection } from './sections/destinations';
import { deliverySection } from './sections/delivery';
import { modelsSection } from './sections/models';
import { seriesIdSection } from './sections/series-id';
import { pipelineSection } from './sections/pipeline';
import { notificationsSection } from './sections/notifications';
import { routingSection } from './sections/routing';
import { auditSection } from './sections/audit';
import { clusterSection } from './sections/cluster';
import { registrationSection } from './sections/registration';
import { reviewSection } from './sections/review';

export const configSchema = z
  .object({
    node: nodeSection.prefault({}),
    http: httpSection.prefault({}),
    study: studySection.prefault({}),
    dimse: dimseSection.prefault({}),
    destinations: destinationsSection,
    delivery: deliverySection.prefault({}),
    models: modelsSection.prefault({}),
    seriesId: seriesIdSection.prefault({}),
    pipeline: pipelineSection.prefault({}),
    notifications: notificationsSection.prefault({}),
    routing: routingSection.prefault({}),
    audit: auditSection.prefault({}),
    cluster: clusterSection.prefault({}),
    registration: registrationSection.prefault({}),
    review: reviewSection.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set(cfg.destinations.map((d) => d.name));
    if (names.size !== cfg.destinations.length) {
      ctx.addIssue({ code: 'custom', path: ['destinations'], message: 'destination names must be unique' });
    }
    if (cfg.dimse.pullMissingFrom) {
      const d = cfg.destinations.find((x) => x.name === cfg.dimse.pullMissingFrom);
      if (!d || d.type !== 'dimse') {
        ctx.addIssue({ code: 'custom', path: ['dimse', 'pullMissingFrom'], message: `"${cfg.dimse.pullMissingFrom}" must name a destination of type dimse` });
      }
    }
    const ruleNames = new Set(cfg.routing.rules.map((r) => r.name));
    if (ruleNames.size !== cfg.routing.rules.length) ctx.addIssue({ code: 'custom', path: ['routing', 'rules'], message: 'rule names must be unique' });
    cfg.routing.rules.forEach((r, i) =>
      r.destinations?.forEach((n, j) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['routing', 'rules', i, 'destinations', j], message: `unknown destination "${n}" (not in destinations)` });
      }),
    );
    cfg.delivery.to.forEach((n, i) => {
      if (!names.has(n)) {
        ctx.addIssue({ code: 'custom', path: ['delivery', 'to', i], message: `unknown destination "${n}" (not in destinations)` });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
/** What a config file may contain (everything optional). */
export type ConfigInput = z.input<typeof configSchema>;
