import { HTTP_METHOD_OTHER } from '../semconv.js';

/**
 * Maps request methods to small integers once, so the hot path can build a numeric cache key instead of
 * hashing strings. Matching is case-sensitive, as semconv requires; anything unknown is `_OTHER`, so a client
 * sending random methods cannot create series.
 */
export class MethodTable {
  /** Index → attribute value; the last entry is `_OTHER`. */
  readonly names: readonly string[];
  private readonly index: Map<string, number>;
  readonly other: number;
  /** Consecutive requests mostly share a method; node:http hands out the same interned string for it. */
  private lastMethod: string | undefined;
  private lastIndex = 0;

  constructor(known: readonly string[]) {
    this.names = [...known, HTTP_METHOD_OTHER];
    this.other = known.length;
    this.index = new Map(known.map((m, i) => [m, i]));
  }

  indexOf(method: string | undefined): number {
    if (method === this.lastMethod && method !== undefined) return this.lastIndex;
    const i = method === undefined ? this.other : (this.index.get(method) ?? this.other);
    this.lastMethod = method;
    this.lastIndex = i;
    return i;
  }

  get size(): number {
    return this.names.length;
  }
}

/** `network.protocol.version` values, indexed: HTTP/1.0, HTTP/1.1, HTTP/2 (semconv spells it "2"). */
export const PROTOCOL_VERSIONS = ['1.0', '1.1', '2'] as const;
export const PROTOCOL_1_0 = 0;
export const PROTOCOL_1_1 = 1;
export const PROTOCOL_2 = 2;

/**
 * A low-cardinality `error.type` for a failed client request: Node's error code (`ECONNREFUSED`,
 * `UND_ERR_SOCKET`, …) when there is one, else the error's class name, as semconv allows ("exception type or a
 * component-specific low cardinality error identifier"). Anything else becomes `_OTHER`.
 */
export function errorTypeOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
    if (typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_.$]{0,63}$/.test(name)) return name;
  }
  return HTTP_METHOD_OTHER;
}

/** Parses a `content-length` value; `undefined` when absent or malformed. */
export function parseLength(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 15) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
