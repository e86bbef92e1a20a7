import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { type AddressReason, EndpointRefusedError } from './egress.exception.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface EgressPolicy {
  /** Host names or IP literals (case-insensitive, no port) exempt from the address check. */
  allowedHosts: readonly string[];
  /** DNS resolution, injectable for tests. Default: node:dns/promises lookup(host, { all: true, verbatim: true }). */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
}

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Metadata services inside the ranges they would otherwise be refused as (link-local, unique-local,
 * carrier-grade NAT), named apart so the message says what the request was after. Azure's
 * WireServer (168.63.129.16) is a public address reachable only from inside Azure, hence listed.
 */
const CLOUD_METADATA = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, Oracle instance metadata
    '169.254.170.2', // AWS ECS task credentials
    'fd00:ec2::254', // AWS instance metadata over IPv6
    '100.100.100.200', // Alibaba Cloud
    '168.63.129.16', // Azure WireServer
  ].map((address) => ipaddr.parse(address).toNormalizedString()),
);

const IPV4_RANGES: Record<string, AddressReason | null> = {
  unicast: null,
  // Anycast DNS sinks and AMT relays are ordinary public services.
  as112: null,
  amt: null,
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade-nat',
  private: 'private',
  reserved: 'reserved',
};

const IPV6_RANGES: Record<string, AddressReason | null> = {
  unicast: null,
  amt: null,
  as112v6: null,
  unspecified: 'unspecified',
  loopback: 'loopback',
  linkLocal: 'link-local',
  multicast: 'multicast',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
  // What is left of rfc6052 once the well-known NAT64 prefix is unwrapped: 64:ff9b:1::/48, for local use.
  rfc6052: 'private',
};

const RFC6145 = ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');

/** The IPv4 address a host reaches through this IPv6 one: IPv4-mapped, SIIT, well-known-prefix NAT64, 6to4. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = ip.parts;
  const fromParts = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  if (ip.match(RFC6145)) return fromParts(p[6]!, p[7]!);
  if (ip.match(NAT64_WELL_KNOWN)) return fromParts(p[6]!, p[7]!);
  if (ip.match(SIX_TO_FOUR)) return fromParts(p[1]!, p[2]!);
  return null;
}

/** Why a connection to `ip` is refused, or null for a public address. Unknown ranges are refused. */
function addressReason(ip: IpAddress): AddressReason | null {
  if (ip.kind() === 'ipv6') {
    const v4 = embeddedIPv4(ip as ipaddr.IPv6);
    if (v4) return addressReason(v4);
  }
  if (CLOUD_METADATA.has(ip.toNormalizedString())) return 'cloud-metadata';
  const range: string = ip.range();
  if (ip.kind() === 'ipv4') return range in IPV4_RANGES ? IPV4_RANGES[range]! : 'reserved';
  if (!(range in IPV6_RANGES)) return 'reserved';
  // ipaddr.js calls every unlisted IPv6 address unicast; only 2000::/3 is allocated global unicast.
  if (range === 'unicast' && ((ip as ipaddr.IPv6).parts[0]! & 0xe000) !== 0x2000) return 'reserved';
  return IPV6_RANGES[range]!;
}

/** Refused by name, whatever it resolves to: these names never mean a remote model server. */
function hostNameReason(host: string): 'loopback' | 'cloud-metadata' | null {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (host === 'metadata.google.internal' || host === 'metadata') return 'cloud-metadata';
  return null;
}

/** Lower case, no IPv6 brackets, no trailing root dot: the form hosts are compared and reported in. */
export function normalizeHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/(?<=.)\.$/, '');
}

/** IP literals compare by value, so `::1` in the list matches `[0:0::1]` in a URL. */
function hostKey(host: string): string {
  if (ipaddr.IPv6.isValid(host)) return ipaddr.IPv6.parse(host).toNormalizedString();
  return host;
}

function parseIpLiteral(host: string): IpAddress | null {
  // URL parsing has already turned every IPv4 spelling (2130706433, 0x7f.1) into dotted decimal.
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return ipaddr.IPv4.parse(host);
  if (ipaddr.IPv6.isValid(host)) return ipaddr.IPv6.parse(host);
  return null;
}

export function isAllowedHost(host: string, policy: EgressPolicy): boolean {
  const key = hostKey(normalizeHost(host));
  return policy.allowedHosts.some((entry) => hostKey(normalizeHost(entry)) === key);
}

async function systemLookup(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/** Address lookup for hosts on the allowed list: no checks. */
export function lookupUnchecked(host: string, policy: EgressPolicy): Promise<ResolvedAddress[]> {
  return (policy.lookup ?? systemLookup)(host);
}

/**
 * The addresses of a host name that is not on the allowed list, each one checked: a name with one
 * private address among public ones is refused, as the connection may go to any of them.
 */
export async function resolveChecked(host: string, policy: EgressPolicy): Promise<ResolvedAddress[]> {
  const byName = hostNameReason(host);
  let addresses: ResolvedAddress[];
  try {
    addresses = await lookupUnchecked(host, policy);
  } catch (error) {
    if (byName) throw EndpointRefusedError.hostName(host, byName);
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'lookup failed';
    throw EndpointRefusedError.unresolvable(host, code);
  }
  if (addresses.length === 0) {
    if (byName) throw EndpointRefusedError.hostName(host, byName);
    throw EndpointRefusedError.unresolvable(host, 'no addresses');
  }
  for (const { address } of addresses) {
    if (!ipaddr.isValid(address)) throw EndpointRefusedError.unresolvable(host, `not an IP address: ${address}`);
    const reason = addressReason(ipaddr.parse(address));
    if (reason) throw EndpointRefusedError.resolved(host, address, reason);
  }
  if (byName) throw EndpointRefusedError.hostName(host, byName);
  return addresses;
}

/** `new URL`, whose TypeError would carry the whole input (path, query, tokens) in `input`. */
export function parseEndpointUrl(url: string | URL): URL {
  if (typeof url !== 'string') return url;
  try {
    return new URL(url);
  } catch {
    throw new TypeError('endpoint URL is not a valid absolute URL');
  }
}

/** Throws EndpointRefusedError when the URL may not be called. */
export async function checkEndpoint(url: string | URL, policy: EgressPolicy): Promise<void> {
  const parsed = parseEndpointUrl(url);
  const host = normalizeHost(parsed.hostname);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw EndpointRefusedError.scheme(host, parsed.protocol);
  if (parsed.username !== '' || parsed.password !== '') throw EndpointRefusedError.credentialsInUrl(host);
  if (isAllowedHost(host, policy)) return;
  const literal = parseIpLiteral(host);
  if (literal) {
    const reason = addressReason(literal);
    if (reason) throw EndpointRefusedError.literal(host, reason);
    return;
  }
  await resolveChecked(host, policy);
}
