/**
 * Site overrides (`seriesId.overrides` in the config): regex → role rules on SeriesDescription, ProtocolName or
 * SequenceName. The first matching rule wins over every built-in rule; the reasons say which rule decided and what
 * the built-in rules would have said.
 */
import { ConfigError } from '../config/load';
import type { SeriesDescriptor } from './series-descriptor';
import type { SeriesRole } from './roles';

export type OverrideField = 'SeriesDescription' | 'ProtocolName' | 'SequenceName';

export interface OverrideRule {
  /** Case-insensitive regular expression. */
  pattern: string;
  field?: OverrideField;
  role: SeriesRole;
}

export interface CompiledOverride {
  index: number;
  rule: Required<OverrideRule>;
  re: RegExp;
}

/** Compiles the rules; an invalid regex is a ConfigError naming the rule, e.g. `seriesId.overrides.2.pattern`. */
export function compileOverrides(rules: readonly OverrideRule[]): CompiledOverride[] {
  return rules.map((rule, index) => {
    let re: RegExp;
    try {
      re = new RegExp(rule.pattern, 'i');
    } catch (e) {
      throw new ConfigError(`seriesId.overrides.${index}.pattern: invalid regular expression /${rule.pattern}/: ${(e as Error).message}`);
    }
    return { index, rule: { field: 'SeriesDescription', ...rule }, re };
  });
}

function fieldValue(h: SeriesDescriptor, field: OverrideField): string {
  if (field === 'ProtocolName') return h.protocolName ?? '';
  if (field === 'SequenceName') return h.sequenceName ?? h.pulseSequenceName ?? '';
  return h.seriesDescription ?? '';
}

export interface OverrideMatch {
  override: CompiledOverride;
  value: string;
}

/** The first override whose pattern matches its field, if any. */
export function matchOverride(h: SeriesDescriptor, overrides: readonly CompiledOverride[]): OverrideMatch | undefined {
  for (const override of overrides) {
    const value = fieldValue(h, override.rule.field);
    if (value && override.re.test(value)) return { override, value };
  }
  return undefined;
}

export function describeOverride(m: OverrideMatch): string {
  const { index, rule } = m.override;
  return `site override #${index} (/${rule.pattern}/i on ${rule.field} '${m.value}') → ${rule.role}; site rules win over built-in rules`;
}
