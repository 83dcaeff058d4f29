import { refuse } from '../../src/domain/refusal.ts';

/** An optional time bound given as ISO text or a Date, checked before it reaches SQL. */
export function timeBound(value: string | Date | undefined, name: 'from' | 'to'): string | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) refuse('VALIDATION_FAILED', `时间范围「${name}」须为带时区的 ISO 8601 时间 (invalid ${name})`, { [name]: String(value) });
  return new Date(ms).toISOString();
}
