/**
 * Optional narrative from a local OpenAI-compatible chat endpoint (config pipeline.llm; off by default), in the
 * style of GMMAS-GPT: the model rewrites our deterministic facts into prose. The deterministic template stays the
 * fallback: any failure (off, unreachable, HTTP error, timeout, malformed reply) returns the template and says why.
 * Only de-identified facts are sent (no names, IDs, dates or UIDs). This is the one network call in src/encoders
 * and it happens before encoding, never inside an encoder.
 */
import type { Findings } from '../../ai/findings';
import { createLogger } from '../../log/logger';
import type { Narrative } from '../options';
import { templateNarrative } from './templates';

const log = createLogger('encoders.llm');

export interface LlmConfig {
  enabled: boolean;
  /** Base URL, e.g. http://127.0.0.1:8080 (the /v1/chat/completions path is added) or the full endpoint URL. */
  url?: string;
  model?: string;
  timeoutMs?: number;
}

const SYSTEM_PROMPT =
  'You write two short texts from structured results of a research brain-tumour MRI analysis program. ' +
  'Use only the facts given; never add findings, numbers or treatment advice. Keep every probability as given. ' +
  'Always state that this is a research tool trained on synthetic data and not a diagnosis. ' +
  'Answer with JSON only: {"clinician": "<text for physicians>", "patient": "<plain-language text for the patient>"}.';

function endpoint(url: string): string {
  return /\/chat\/completions\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/v1/chat/completions`;
}

/** De-identified facts for the prompt: the clinician template (which holds no PHI) is the fact sheet. */
export function llmPrompt(findings: Findings, template: Narrative): string {
  return `Structured results (authoritative):\n${template.clinician}\n\nModel: ${findings.model.name} ${findings.model.version}.`;
}

function parseReply(body: unknown): { clinician: string; patient: string } {
  const content = (body as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
  if (typeof content !== 'string' || !content.trim()) throw new Error('reply has no choices[0].message.content');
  const json = /\{[\s\S]*\}/.exec(content)?.[0];
  if (!json) throw new Error('reply content is not JSON');
  const parsed = JSON.parse(json) as { clinician?: unknown; patient?: unknown };
  if (typeof parsed.clinician !== 'string' || typeof parsed.patient !== 'string' || !parsed.clinician.trim() || !parsed.patient.trim()) {
    throw new Error('reply JSON lacks "clinician" and "patient" texts');
  }
  return { clinician: parsed.clinician.trim(), patient: parsed.patient.trim() };
}

/** The narrative to put in the SR and PDF: LLM-written when enabled and working, else the template (with the reason). */
export async function narrativeFor(
  findings: Findings,
  llm: LlmConfig | undefined,
  opts: { supersedes?: string[] } = {},
): Promise<Narrative> {
  const template = templateNarrative(findings, opts);
  if (!llm?.enabled) return template;
  if (!llm.url) return { ...template, fallbackReason: 'pipeline.llm.enabled is true but pipeline.llm.url is not set' };
  const model = llm.model ?? 'local';
  try {
    const res = await fetch(endpoint(llm.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        temperature: 0,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: llmPrompt(findings, template) },
        ],
      }),
      signal: AbortSignal.timeout(llm.timeoutMs ?? 60000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${endpoint(llm.url)}`);
    const texts = parseReply(await res.json());
    // The clinician text always keeps the deterministic facts underneath the prose.
    return {
      clinician: `${texts.clinician}\n\n--- Structured facts (template) ---\n${template.clinician}`,
      patient: texts.patient,
      source: `llm:${model}`,
    };
  } catch (e) {
    // AbortSignal.timeout rejects with a DOMException named TimeoutError (not always an Error instance).
    const err = e as { name?: string; message?: string };
    const reason = err?.name === 'TimeoutError' ? 'timed out' : (err?.message ?? String(e));
    log.warn('LLM narrative failed; using the template', { reason, study: findings.studyInstanceUid });
    return { ...template, fallbackReason: `LLM call failed: ${reason}` };
  }
}
