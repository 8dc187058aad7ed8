import ipaddr from 'ipaddr.js';

/**
 * The client a login throttle counts by: an IPv4 address as it is, an IPv6 address by its /64. One
 * IPv6 subscriber (a home line, a cloud VM) is routed a whole /64 and may send from any of its 2^64
 * addresses, so counting exact IPv6 addresses let one machine buy a fresh budget with every request
 * (a password hash each, for unknown emails too). An IPv4-mapped address (`::ffff:192.0.2.1`, what a
 * dual-stack socket reports for an IPv4 peer) counts as its IPv4 address. Anything that is not an IP
 * address (`unknown`) is used as given. Some proxies (Azure Application Gateway, IIS ARR) append
 * `ip:port` to X-Forwarded-For: the port is dropped, or each source port would be a budget of its own.
 */
export function throttledNetwork(address: string): string {
  const ip = withoutPort(address);
  if (!ipaddr.isValid(ip)) return address;
  const parsed = ipaddr.process(ip);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toString()}/64`;
}

/** `192.0.2.1:5678` → `192.0.2.1`, `[2001:db8::1]:443` → `2001:db8::1`; anything else as given. */
function withoutPort(address: string): string {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address);
  if (v4) return v4[1]!;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(address);
  return v6 ? v6[1]! : address;
}
