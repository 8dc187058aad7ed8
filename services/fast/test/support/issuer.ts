import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { freePort } from '@tandem/models/testing';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export const AUDIENCE = 'tandem';

/**
 * A real token issuer for tests: Ed25519 keys made with jose, a discovery document and a JWKS served
 * over loopback HTTP (a real network peer), and a signer for every token shape the tests need.
 */
export class TestIssuer {
  private server: Server | undefined;
  private port = 0;
  keys: SigningKey[] = [];
  jwksRequests = 0;
  discoveryRequests = 0;
  /** While set, JWKS answers wait for it (an auth service that hangs until the test says so). */
  private jwksHold: Promise<void> | undefined;

  /** JWKS requests from now on hang until the returned function is called. */
  holdJwks(): () => void {
    let release!: () => void;
    this.jwksHold = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.jwksHold = undefined;
      release();
    };
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    await issuer.addKey();
    await issuer.listen();
    return issuer;
  }

  /** An issuer whose URL is fixed but which answers only after `restart()`: auth starting late. */
  static async notStartedYet(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    await issuer.addKey();
    issuer.port = await freePort();
    return issuer;
  }

  async listen(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        this.discoveryRequests += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/.well-known/jwks.json` }));
      } else if (req.url === '/.well-known/jwks.json') {
        this.jwksRequests += 1;
        const body = JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) });
        const answer = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        };
        const held = this.jwksHold;
        if (held) void held.then(answer);
        else answer();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  /** Stops answering (the auth service is down); `listen(port)` brings it back on the same URL. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async addKey(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    const key = {
      kid,
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    };
    this.keys.push(key);
    return key;
  }

  async sign(
    claims: JWTPayload & { scope?: string; sid?: string } = {},
    options: { key?: SigningKey; kid?: string; expiresIn?: number; notBefore?: number; typ?: string } = {},
  ): Promise<string> {
    const key = options.key ?? this.keys[this.keys.length - 1]!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'catalog:read', sid: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? key.kid, typ: options.typ ?? 'at+jwt' })
      .setIssuer(claims.iss ?? this.url)
      .setAudience(claims.aud ?? AUDIENCE)
      .setSubject(claims.sub ?? '1')
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setNotBefore(options.notBefore ?? now)
      .setExpirationTime(now + (options.expiresIn ?? 600))
      .sign(key.privateKey);
  }
}
