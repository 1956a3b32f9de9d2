/**
 * The `http.routes` table for apps without a router that reports its routes (plain `node:http`): templates such
 * as `/users/:id` or `/files/*`, compiled once into a segment trie so a request path is matched by walking it,
 * without regular expressions or splitting the path into an array.
 */

interface Node {
  literals: Map<string, Node> | undefined;
  param: Node | undefined;
  /** The template whose last segment is this node. */
  template: string | undefined;
  /** The template ending in `*` here: it matches any rest of the path, including further `/`. */
  wildcard: string | undefined;
}

const newNode = (): Node => ({
  literals: undefined,
  param: undefined,
  template: undefined,
  wildcard: undefined,
});

/**
 * Checks one template and returns why it is unusable, or `undefined` when it is fine. Templates start with `/`;
 * a segment is a literal, `:name` (one segment) or, as the last segment only, `*` / `*name` (the rest).
 */
export function routeTemplateProblem(template: unknown): string | undefined {
  if (typeof template !== 'string') return `must be a string, got ${typeof template}`;
  if (!template.startsWith('/')) return `${JSON.stringify(template)} must start with "/"`;
  if (/[\s?#]/.test(template)) return `${JSON.stringify(template)} must not hold spaces, "?" or "#"`;
  const segments = template.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '' && i !== segments.length - 1)
      return `${JSON.stringify(template)} has an empty segment ("//")`;
    if (s.startsWith(':') && !/^:[A-Za-z0-9_$]+$/.test(s))
      return `${JSON.stringify(template)}: parameter segment ${JSON.stringify(s)} needs a name (letters, digits, _)`;
    if (s.includes('*') && (!/^\*[A-Za-z0-9_$]*$/.test(s) || i !== segments.length - 1))
      return `${JSON.stringify(template)}: "*" is only allowed as the whole last segment`;
  }
  return undefined;
}

/** A compiled route table. Build it from templates that passed `routeTemplateProblem`. */
export class RouteTable {
  private readonly root = newNode();

  /** Templates that would never match because an earlier one with the same shape wins. */
  readonly shadowed: string[] = [];

  constructor(templates: readonly string[]) {
    for (const t of templates) this.add(t);
  }

  private add(template: string): void {
    let node = this.root;
    const segments = template.split('/').slice(1);
    if (segments[segments.length - 1] === '') segments.pop(); // "/users/" is "/users"
    for (const s of segments) {
      if (s.startsWith('*')) {
        if (node.wildcard !== undefined) this.shadowed.push(template);
        else node.wildcard = template;
        return;
      }
      if (s.startsWith(':')) {
        node = node.param ??= newNode();
      } else {
        node.literals ??= new Map();
        let next = node.literals.get(s);
        if (!next) {
          next = newNode();
          node.literals.set(s, next);
        }
        node = next;
      }
    }
    if (node.template !== undefined) this.shadowed.push(template);
    else node.template = template;
  }

  /**
   * The template matching `path` (a pathname, or a request target whose query string is ignored), or
   * `undefined`. Literal segments win over parameters, parameters over `*`; one trailing slash is tolerated.
   */
  match(path: string): string | undefined {
    if (path.charCodeAt(0) !== 47 /* / */) return undefined;
    let end = path.indexOf('?');
    if (end === -1) end = path.length;
    return walk(this.root, path, 0, end);
  }
}

/** `pos` is the index of a "/" (or `end`); the segment runs to the next "/". */
function walk(node: Node, path: string, pos: number, end: number): string | undefined {
  if (pos >= end) return node.template;
  let next = path.indexOf('/', pos + 1);
  if (next === -1 || next > end) next = end;
  if (next === pos + 1) {
    // An empty segment: a trailing slash ends here, "//" can only be eaten by a wildcard.
    return (next === end ? node.template : undefined) ?? node.wildcard;
  }
  if (node.literals) {
    const child = node.literals.get(path.slice(pos + 1, next));
    if (child) {
      const found = walk(child, path, next, end);
      if (found !== undefined) return found;
    }
  }
  if (node.param) {
    const found = walk(node.param, path, next, end);
    if (found !== undefined) return found;
  }
  return node.wildcard;
}
