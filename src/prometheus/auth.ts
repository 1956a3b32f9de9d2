import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks an `Authorization` header against the configured credentials. */
export interface Authenticator {
  /** `true` when the header carries the right credentials. */
  check(authorization: string | undefined): boolean;
  /** The `WWW-Authenticate` value sent with 401. */
  readonly challenge: string;
}

const REALM = 'metrics';

/**
 * Bearer token or basic credentials, compared in constant time. Both sides are hashed (SHA-256) first, so
 * `timingSafeEqual` always compares 32 bytes: neither the content nor the length of the secret leaks through
 * response timing. Returns `undefined` when no auth is configured.
 */
export function createAuthenticator(options: {
  readonly authToken?: string | undefined;
  readonly basicAuth?: Readonly<{ username: string; password: string }> | undefined;
}): Authenticator | undefined {
  if (options.authToken !== undefined) {
    const expected = digest(options.authToken);
    return {
      challenge: `Bearer realm="${REALM}"`,
      check: (header) => {
        const token = credentials(header, 'bearer');
        return token !== undefined && timingSafeEqual(digest(token), expected);
      },
    };
  }
  if (options.basicAuth !== undefined) {
    const expected = digest(`${options.basicAuth.username}:${options.basicAuth.password}`);
    return {
      challenge: `Basic realm="${REALM}", charset="UTF-8"`,
      check: (header) => {
        const decoded = decodeBase64(credentials(header, 'basic'));
        return decoded !== undefined && timingSafeEqual(digest(decoded), expected);
      },
    };
  }
  return undefined;
}

/** The credentials after `<scheme> ` (scheme matched case-insensitively, RFC 9110 §11.1). */
function credentials(header: string | undefined, scheme: 'bearer' | 'basic'): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space).toLowerCase() !== scheme) return undefined;
  const value = header.slice(space + 1).trim();
  return value === '' ? undefined : value;
}

/**
 * Strict base64 (RFC 7617 uses RFC 4648 §4): Node's decoder skips characters outside the alphabet and stops at
 * the first `=`, so `<valid credentials>!!garbage` would decode to the valid credentials. Only a value that
 * encodes back to itself is accepted.
 */
function decodeBase64(encoded: string | undefined): string | undefined {
  if (encoded === undefined) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.toString('base64') === encoded ? bytes.toString('utf8') : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
