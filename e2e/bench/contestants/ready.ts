/** Contestants report readiness the way Tandem's services do: an IPC message with their base URL. */
export function announceReady(name: string, url: string): void {
  if (process.send) process.send({ type: 'ready', service: name, url });
  else console.log(`${name} listening on ${url}`);
}
