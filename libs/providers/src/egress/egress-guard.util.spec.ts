import { describe, expect, it, jest } from '@jest/globals';
import { type EgressPolicy, type ResolvedAddress, checkEndpoint } from './egress-guard.util.js';
import { EndpointRefusedError, type RefusedReason } from './egress.exception.js';

const NOTHING_ALLOWED: EgressPolicy = { allowedHosts: [] };

function answering(...addresses: string[]) {
  return jest.fn(async (_hostname: string): Promise<ResolvedAddress[]> => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
}

function failingLookup(code: string) {
  return jest.fn(async (hostname: string): Promise<ResolvedAddress[]> => {
    throw Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code });
  });
}

async function refusalOf(url: string | URL, policy: EgressPolicy = NOTHING_ALLOWED): Promise<EndpointRefusedError> {
  const outcome = await checkEndpoint(url, policy).then(
    () => 'allowed',
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(EndpointRefusedError);
  return outcome as EndpointRefusedError;
}

describe('checkEndpoint', () => {
  describe('refuses IP literals of every non-public class', () => {
    it.each<[string, RefusedReason]>([
      ['http://127.0.0.1/', 'loopback'],
      ['http://127.200.1.9:8080/', 'loopback'],
      ['http://[::1]/', 'loopback'],
      ['http://[::ffff:127.0.0.1]/', 'loopback'],
      ['http://[::ffff:7f00:1]/', 'loopback'],
      ['http://2130706433/', 'loopback'],
      ['http://0x7f.1/', 'loopback'],
      ['http://0177.0.0.1/', 'loopback'],
      ['http://[64:ff9b::7f00:1]/', 'loopback'],
      ['http://[2002:7f00:1::]/', 'loopback'],
      ['http://10.1.2.3/', 'private'],
      ['http://172.16.0.1/', 'private'],
      ['http://172.31.255.254/', 'private'],
      ['http://192.168.1.1/', 'private'],
      ['http://[::ffff:10.0.0.1]/', 'private'],
      ['http://[fc00::1]/', 'private'],
      ['http://[fd12:3456:789a::1]/', 'private'],
      ['http://169.254.10.20/', 'link-local'],
      ['http://[fe80::1]/', 'link-local'],
      ['http://[febf::1]/', 'link-local'],
      ['http://169.254.169.254/latest/meta-data/', 'cloud-metadata'],
      ['http://[::ffff:169.254.169.254]/', 'cloud-metadata'],
      ['http://[::ffff:a9fe:a9fe]/', 'cloud-metadata'],
      ['http://[fd00:ec2::254]/', 'cloud-metadata'],
      ['http://100.100.100.200/', 'cloud-metadata'],
      ['http://0.0.0.0/', 'unspecified'],
      ['http://0/', 'unspecified'],
      ['http://0.1.2.3/', 'unspecified'],
      ['http://[::]/', 'unspecified'],
      ['http://100.64.0.1/', 'carrier-grade-nat'],
      ['http://100.127.255.254/', 'carrier-grade-nat'],
      ['http://224.0.0.1/', 'multicast'],
      ['http://[ff02::1]/', 'multicast'],
      ['http://255.255.255.255/', 'broadcast'],
      ['http://192.0.2.10/', 'reserved'],
      ['http://240.0.0.1/', 'reserved'],
      ['http://[2001:db8::1]/', 'reserved'],
      ['http://[::7f00:1]/', 'reserved'],
    ])('%s → %s', async (url, reason) => {
      const lookup = answering('8.8.8.8');
      const error = await refusalOf(url, { allowedHosts: [], lookup });
      expect(error.reason).toBe(reason);
      expect(error.address).toBe(error.host);
      expect(error.name).toBe('EndpointRefusedError');
      expect(lookup).not.toHaveBeenCalled();
    });

    it('names the host as it would be listed, and says how to allow it', async () => {
      const error = await refusalOf('http://[::ffff:7f00:1]:9000/v1');
      expect(error.host).toBe('::ffff:7f00:1');
      expect(error.message).toBe(
        'endpoint host "::ffff:7f00:1" is a loopback address; list the host in MODELYARD_ALLOWED_ENDPOINT_HOSTS to allow it',
      );
    });
  });

  describe('refuses a host name that resolves to a non-public address', () => {
    it.each<[string, RefusedReason]>([
      ['127.0.0.1', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.0.0.7', 'private'],
      ['fd12::7', 'private'],
      ['169.254.3.4', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['169.254.169.254', 'cloud-metadata'],
      ['fd00:ec2::254', 'cloud-metadata'],
      ['100.100.100.200', 'cloud-metadata'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['100.90.1.1', 'carrier-grade-nat'],
      ['239.1.1.1', 'multicast'],
      ['ff05::2', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['198.51.100.7', 'reserved'],
    ])('%s → %s', async (address, reason) => {
      const lookup = answering(address);
      const error = await refusalOf('https://models.example.com/v1', { allowedHosts: [], lookup });
      expect(lookup).toHaveBeenCalledWith('models.example.com');
      expect({ reason: error.reason, host: error.host, address: error.address }).toEqual({ reason, host: 'models.example.com', address });
      expect(error.message).toContain(`endpoint host "models.example.com" resolves to ${address}, `);
    });

    it('refuses the real localhost through the system resolver, in the documented wording', async () => {
      const error = await refusalOf('http://localhost:1/v1');
      expect(error.reason).toBe('loopback');
      expect(['127.0.0.1', '::1']).toContain(error.address);
      expect(error.message).toBe(
        `endpoint host "localhost" resolves to ${error.address}, a loopback address; list the host in MODELYARD_ALLOWED_ENDPOINT_HOSTS to allow it`,
      );
    });

    it('refuses a name when one of its addresses is private, even after public ones', async () => {
      const error = await refusalOf('https://mixed.example.com/', { allowedHosts: [], lookup: answering('93.184.216.34', '2606:4700::1111', '10.0.0.5') });
      expect(error.reason).toBe('private');
      expect(error.address).toBe('10.0.0.5');
    });

    it.each<[string, RefusedReason]>([
      ['http://localhost/', 'loopback'],
      ['http://LocalHost./', 'loopback'],
      ['http://api.localhost/', 'loopback'],
      ['http://metadata.google.internal/computeMetadata/v1/', 'cloud-metadata'],
      ['http://metadata/', 'cloud-metadata'],
    ])('refuses %s by name, whatever it resolves to', async (url, reason) => {
      const resolvedPublic = await refusalOf(url, { allowedHosts: [], lookup: answering('93.184.216.34') });
      const unresolvable = await refusalOf(url, { allowedHosts: [], lookup: failingLookup('ENOTFOUND') });
      for (const error of [resolvedPublic, unresolvable]) {
        expect(error.reason).toBe(reason);
        expect(error.address).toBeNull();
        expect(error.message).toMatch(/is a (loopback|cloud metadata service) host name; list the host in MODELYARD_ALLOWED_ENDPOINT_HOSTS/);
      }
    });
  });

  describe('lets public endpoints through', () => {
    it.each([['93.184.216.34'], ['2606:4700:4700::1111'], ['::ffff:8.8.8.8'], ['64:ff9b::808:808'], ['192.175.48.1']])(
      'a name resolving to %s',
      async (address) => {
        const lookup = answering(address);
        await expect(checkEndpoint('https://api.example.com/v1/chat?key=1', { allowedHosts: [], lookup })).resolves.toBeUndefined();
        expect(lookup).toHaveBeenCalledTimes(1);
      },
    );

    it('a name with several public addresses of both families', async () => {
      await expect(checkEndpoint('https://api.openai.com/v1', { allowedHosts: [], lookup: answering('104.18.6.192', '2606:4700::6812:6c0') })).resolves.toBeUndefined();
    });

    it('public IP literals, without a lookup', async () => {
      const lookup = answering('127.0.0.1');
      await expect(checkEndpoint('http://8.8.8.8/', { allowedHosts: [], lookup })).resolves.toBeUndefined();
      await expect(checkEndpoint(new URL('https://[2606:4700:4700::1111]:8443/v1'), { allowedHosts: [], lookup })).resolves.toBeUndefined();
      expect(lookup).not.toHaveBeenCalled();
    });
  });

  describe('allowed hosts', () => {
    it('skip the address check for names, case-insensitively, without resolving them', async () => {
      const lookup = answering('127.0.0.1');
      const policy: EgressPolicy = { allowedHosts: ['LOCALHOST', 'models.internal', 'metadata.google.internal'], lookup };
      await expect(checkEndpoint('http://localhost:8080/v1', policy)).resolves.toBeUndefined();
      await expect(checkEndpoint('http://Models.Internal/v1', policy)).resolves.toBeUndefined();
      await expect(checkEndpoint('http://metadata.google.internal/', policy)).resolves.toBeUndefined();
      expect(lookup).not.toHaveBeenCalled();
    });

    it('skip it for IP literals, IPv6 in any spelling and with or without brackets', async () => {
      const policy: EgressPolicy = { allowedHosts: ['127.0.0.1', '::1', '[fd00::12]', '169.254.169.254'] };
      await expect(checkEndpoint('http://127.0.0.1:9999/', policy)).resolves.toBeUndefined();
      await expect(checkEndpoint('http://[0:0:0:0:0:0:0:1]/', policy)).resolves.toBeUndefined();
      await expect(checkEndpoint('http://[fd00:0::12]/', policy)).resolves.toBeUndefined();
      await expect(checkEndpoint('http://169.254.169.254/', policy)).resolves.toBeUndefined();
    });

    it('are exact: allowing one host allows neither its subdomains, nor other addresses, nor the name it resolves from', async () => {
      const policy: EgressPolicy = { allowedHosts: ['127.0.0.1', 'internal'], lookup: answering('127.0.0.1') };
      expect((await refusalOf('http://127.0.0.2/', policy)).reason).toBe('loopback');
      expect((await refusalOf('http://[::ffff:127.0.0.1]/', policy)).reason).toBe('loopback');
      expect((await refusalOf('http://models.internal/', policy)).reason).toBe('loopback');
      expect((await refusalOf('http://localhost/', policy)).reason).toBe('loopback');
    });

    it('do not allow credentials or another scheme', async () => {
      const policy: EgressPolicy = { allowedHosts: ['localhost'] };
      expect((await refusalOf('http://user:secret@localhost/', policy)).reason).toBe('credentials-in-url');
      expect((await refusalOf('ftp://localhost/', policy)).reason).toBe('scheme');
    });
  });

  describe('URL hygiene', () => {
    it.each([['ftp://files.example.com/model.onnx'], ['file:///etc/passwd'], ['data:text/plain,hi'], ['javascript:alert(1)'], ['ws://api.example.com/']])(
      'refuses the scheme of %s',
      async (url) => {
        const lookup = answering('93.184.216.34');
        const error = await refusalOf(url, { allowedHosts: [], lookup });
        expect(error.reason).toBe('scheme');
        expect(error.address).toBeNull();
        expect(error.message).toMatch(/^endpoint URL scheme "[a-z]+:" is not allowed; use http: or https:$/);
        expect(lookup).not.toHaveBeenCalled();
      },
    );

    it.each([['https://sk-user:sk-secret-pass@api.example.com/v1'], ['https://sk-only-user@api.example.com/v1'], ['https://:sk-only-pass@api.example.com/v1']])(
      'refuses credentials in %s without repeating them',
      async (url) => {
        const error = await refusalOf(url, { allowedHosts: [], lookup: answering('93.184.216.34') });
        expect(error.reason).toBe('credentials-in-url');
        expect(error.host).toBe('api.example.com');
        expect(error.message).not.toMatch(/sk-/);
        expect(error.message).toContain('"api.example.com"');
      },
    );

    it('refuses a name that does not resolve, or resolves to nothing', async () => {
      const missing = await refusalOf('https://nowhere.example.com/', { allowedHosts: [], lookup: failingLookup('ENOTFOUND') });
      expect(missing).toMatchObject({ reason: 'unresolvable', host: 'nowhere.example.com', address: null });
      expect(missing.message).toBe('endpoint host "nowhere.example.com" could not be resolved (ENOTFOUND)');
      const empty = await refusalOf('https://empty.example.com/', { allowedHosts: [], lookup: answering() });
      expect(empty.reason).toBe('unresolvable');
    });

    it('rejects an unparseable URL without echoing it', async () => {
      const outcome = await checkEndpoint('https://api.example.com:99999/v1?key=sk-secret', NOTHING_ALLOWED).catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(TypeError);
      expect(JSON.stringify(outcome, Object.getOwnPropertyNames(outcome))).not.toContain('sk-secret');
    });

    it('never puts the path, query or fragment in a refusal', async () => {
      const tail = '/v1/tok-path-secret/chat?api_key=tok-query-secret#tok-fragment';
      const refusals = await Promise.all([
        refusalOf(`http://10.0.0.1${tail}`),
        refusalOf(`http://localhost${tail}`),
        refusalOf(`https://internal.example.com${tail}`, { allowedHosts: [], lookup: answering('192.168.0.4') }),
        refusalOf(`https://gone.example.com${tail}`, { allowedHosts: [], lookup: failingLookup('ENOTFOUND') }),
        refusalOf(`https://u:p@api.example.com${tail}`),
        refusalOf(`gopher://api.example.com${tail}`),
      ]);
      for (const error of refusals) {
        expect(`${error.message} ${error.host} ${error.address} ${error.stack}`).not.toContain('tok-');
      }
    });
  });
});
