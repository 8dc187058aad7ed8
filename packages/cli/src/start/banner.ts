/** Text blocks `tandem start` prints: the one-time password box and the list of running services. */

export function box(lines: readonly string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const rule = '═'.repeat(width + 2);
  return [`╔${rule}╗`, ...lines.map((line) => `║ ${line.padEnd(width)} ║`), `╚${rule}╝`, ''].join('\n');
}

export function oneTimePasswordBox(email: string, password: string): string {
  return box([
    'A superuser was created for this new database:',
    '',
    `  email:    ${email}`,
    `  password: ${password}`,
    '',
    'This password is shown only once. Change it with:',
    `  npx tandem changepassword ${email}`,
  ]);
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
}

export function runningBanner(
  database: string,
  services: readonly RunningService[],
  skipped: readonly string[],
): string {
  const width = Math.max(...services.map((service) => service.name.length));
  return [
    '',
    `Tandem is running (database: ${database})`,
    ...services.map((service) => `  ${service.name.padEnd(width)}  ${service.url}`),
    ...(skipped.length > 0 ? [`  not built, not started: ${skipped.join(', ')}`] : []),
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
