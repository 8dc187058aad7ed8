import type { z } from 'zod';

/** How zod's default messages begin (a message a check gives itself does not). */
const ZOD_WORDING = /^(Too small|Too big|Invalid option|Invalid input|expected )/;

/**
 * What is wrong with one setting, in words an operator reads in a terminal: "must be a whole number
 * from 0 to 65535", not zod's "Too big: expected number to be <=65535". Issues this does not know keep
 * zod's own message, and a check's own message is kept as written.
 */
export function settingProblem(issue: z.core.$ZodIssue): string {
  // A check with a message of its own (NICE_RANGE, WRITE_RETENTION_SECONDS, ...) says it best.
  if (!ZOD_WORDING.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      return issue.expected === 'number' ? 'must be a number' : issue.message.replace(/^Invalid input: /, '');
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : issue.message;
      if (issue.origin === 'number')
        return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number')
        return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
      return issue.message;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}
