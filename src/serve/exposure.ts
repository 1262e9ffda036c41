import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether only this machine can connect to `host` (a name, an address, or a bracketed IPv6 address). */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1');
  if (address.toLowerCase() === 'localhost') return true;
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The warning to print when a server other machines can reach lets anyone in; undefined when it does not. */
export function openBindWarning(host: string, apiKey: string | undefined): string | undefined {
  if (apiKey !== undefined || isLoopback(host)) return undefined;
  return `Warning: ${host} can be reached from other machines and no API key is set, so anyone who can connect can use the model. Set COT_STUDIO_API_KEY to require one, or serve on 127.0.0.1.`;
}
