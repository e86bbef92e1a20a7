/** Why an endpoint URL may not be called; the address classes follow ipaddr.js's ranges. */
export type RefusedReason =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cloud-metadata'
  | 'unspecified'
  | 'carrier-grade-nat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'scheme'
  | 'credentials-in-url'
  | 'unresolvable';

export type AddressReason = Exclude<RefusedReason, 'scheme' | 'credentials-in-url' | 'unresolvable'>;

const ADDRESS_CLASS: Record<AddressReason, string> = {
  loopback: 'a loopback',
  private: 'a private',
  'link-local': 'a link-local',
  'cloud-metadata': 'a cloud metadata',
  unspecified: 'an unspecified',
  'carrier-grade-nat': 'a carrier-grade NAT',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
};

const HOW_TO_ALLOW = 'list the host in MODELYARD_ALLOWED_ENDPOINT_HOSTS to allow it';

/**
 * A model endpoint URL the platform refuses to call (SSRF guard). The message names the host, never
 * the URL: paths and query strings of endpoint URLs may carry tokens.
 */
export class EndpointRefusedError extends Error {
  override readonly name = 'EndpointRefusedError';

  private constructor(
    readonly host: string,
    readonly address: string | null,
    readonly reason: RefusedReason,
    message: string,
  ) {
    super(message);
  }

  /** `host` is an IP literal of a refused class. */
  static literal(host: string, reason: AddressReason): EndpointRefusedError {
    return new EndpointRefusedError(host, host, reason, `endpoint host "${host}" is ${ADDRESS_CLASS[reason]} address; ${HOW_TO_ALLOW}`);
  }

  /** The name `host` resolves to `address`, of a refused class. */
  static resolved(host: string, address: string, reason: AddressReason): EndpointRefusedError {
    return new EndpointRefusedError(
      host,
      address,
      reason,
      `endpoint host "${host}" resolves to ${address}, ${ADDRESS_CLASS[reason]} address; ${HOW_TO_ALLOW}`,
    );
  }

  /** `host` is refused by name (localhost, a metadata service name), whatever it resolves to. */
  static hostName(host: string, reason: 'loopback' | 'cloud-metadata'): EndpointRefusedError {
    const kind = reason === 'loopback' ? 'a loopback' : 'a cloud metadata service';
    return new EndpointRefusedError(host, null, reason, `endpoint host "${host}" is ${kind} host name; ${HOW_TO_ALLOW}`);
  }

  static scheme(host: string, protocol: string): EndpointRefusedError {
    return new EndpointRefusedError(host, null, 'scheme', `endpoint URL scheme "${protocol}" is not allowed; use http: or https:`);
  }

  static credentialsInUrl(host: string): EndpointRefusedError {
    return new EndpointRefusedError(
      host,
      null,
      'credentials-in-url',
      `endpoint URL for host "${host}" carries a user name or password; send credentials in headers, not in the URL`,
    );
  }

  /** `code`: the resolver's error code (ENOTFOUND …), or a short reason. */
  static unresolvable(host: string, code: string): EndpointRefusedError {
    return new EndpointRefusedError(host, null, 'unresolvable', `endpoint host "${host}" could not be resolved (${code})`);
  }
}
