/**
 * For tests: a reader for the WIT that wasm-tools prints for a component (one package, its
 * interfaces and its world). It covers what that printer emits — interfaces with `use`, type
 * definitions, resources with methods, async functions, and world imports and exports — not the
 * whole WIT language (no `include`, no nested packages, feature gates are skipped).
 */
import type { PrimitiveType } from '../value-types.ts';

export type WitTypeExpr =
  | { kind: 'primitive'; name: PrimitiveType }
  | { kind: 'named'; name: string }
  | { kind: 'own' | 'borrow'; name: string }
  | { kind: 'list'; element: WitTypeExpr; length?: number }
  | { kind: 'option'; type: WitTypeExpr }
  | { kind: 'result'; ok: WitTypeExpr | undefined; err: WitTypeExpr | undefined }
  | { kind: 'tuple'; types: WitTypeExpr[] }
  | { kind: 'future' | 'stream'; type: WitTypeExpr | undefined }
  | { kind: 'record'; fields: Array<{ name: string; type: WitTypeExpr }> }
  | { kind: 'variant'; cases: Array<{ name: string; type: WitTypeExpr | undefined }> }
  | { kind: 'enum' | 'flags'; names: string[] };

export type WitTypeDecl =
  | WitTypeExpr
  | { kind: 'alias'; type: WitTypeExpr }
  | { kind: 'resource' }
  | { kind: 'use'; from: string; name: string };

export interface WitFunc {
  kind: 'freestanding' | 'method' | 'static' | 'constructor';
  params: Array<{ name: string; type: WitTypeExpr }>;
  result: WitTypeExpr | undefined;
  async: boolean;
}

export interface WitInterface {
  name: string;
  types: Map<string, WitTypeDecl>;
  functions: Array<{ componentName: string; resource: string | undefined; func: WitFunc }>;
}

export type WitWorldItem =
  | { kind: 'interface'; name: string; inline: WitInterface | undefined }
  | { kind: 'func'; name: string; func: WitFunc };

export interface WitWorld {
  /** World-level types (`use`, `type`) that world-level functions refer to. */
  scope: WitInterface;
  imports: WitWorldItem[];
  exports: WitWorldItem[];
}

const PRIMITIVES = new Set<string>([
  'bool',
  's8',
  'u8',
  's16',
  'u16',
  's32',
  'u32',
  's64',
  'u64',
  'f32',
  'f64',
  'char',
  'string',
  'error-context',
]);

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s+|\/\/[^\n]*|(->|[{}()<>,:;=.*/@_]|%?[A-Za-z][A-Za-z0-9-]*|[0-9]+)/y;
  while (pattern.lastIndex < text.length) {
    const at = pattern.lastIndex;
    const match = pattern.exec(text);
    if (!match)
      throw new Error(`WIT: unexpected character at ${at}: ${JSON.stringify(text.slice(at, at + 20))}`);
    if (match[1] !== undefined) tokens.push(match[1]);
  }
  return tokens;
}

class WitParser {
  private readonly tokens: string[];
  private at = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  private peek(offset = 0): string | undefined {
    return this.tokens[this.at + offset];
  }

  private next(): string {
    const token = this.tokens[this.at++];
    if (token === undefined) throw new Error('WIT: unexpected end');
    return token;
  }

  private expect(token: string): void {
    const got = this.next();
    if (got !== token) throw new Error(`WIT: expected ${token}, got ${got} (token ${this.at - 1})`);
  }

  private eat(token: string): boolean {
    if (this.peek() !== token) return false;
    this.at++;
    return true;
  }

  /** An identifier, without its `%` escape. */
  private ident(): string {
    const token = this.next();
    if (!/^%?[A-Za-z]/.test(token)) throw new Error(`WIT: expected an identifier, got ${token}`);
    return token.startsWith('%') ? token.slice(1) : token;
  }

  /** `@since(...)`, `@unstable(...)`, `@deprecated(...)`: not needed here. */
  private skipGates(): void {
    while (this.peek() === '@') {
      this.next();
      this.ident();
      if (this.eat('(')) while (this.next() !== ')');
    }
  }

  /** `a`, or `ns:pkg/iface@1.2.3` (taken up to the `.{` of a `use`, or the `;` of a world item). */
  private path(): string {
    let path = '';
    while (!(this.peek() === '.' && this.peek(1) === '{') && this.peek() !== ';') path += this.next();
    return path;
  }

  parse(): { interfaces: Map<string, WitInterface>; world: WitWorld } {
    const interfaces = new Map<string, WitInterface>();
    let world: WitWorld | undefined;
    this.skipGates();
    if (this.eat('package')) {
      while (this.next() !== ';');
    }
    while (this.peek() !== undefined) {
      this.skipGates();
      const keyword = this.next();
      if (keyword === 'interface') {
        const name = this.ident();
        interfaces.set(name, this.interfaceBody(name));
      } else if (keyword === 'world') {
        if (world) throw new Error('WIT: two worlds');
        this.ident();
        world = this.worldBody();
      } else throw new Error(`WIT: unexpected ${keyword} at the top level`);
    }
    if (!world) throw new Error('WIT: no world');
    return { interfaces, world };
  }

  private interfaceBody(name: string): WitInterface {
    const iface: WitInterface = { name, types: new Map(), functions: [] };
    this.expect('{');
    while (!this.eat('}')) this.interfaceItem(iface);
    return iface;
  }

  private interfaceItem(iface: WitInterface): void {
    this.skipGates();
    const token = this.peek();
    switch (token) {
      case 'use':
        this.use(iface);
        return;
      case 'type': {
        this.next();
        const name = this.ident();
        this.expect('=');
        iface.types.set(name, { kind: 'alias', type: this.type() });
        this.expect(';');
        return;
      }
      case 'record': {
        this.next();
        const name = this.ident();
        const fields = this.list('{', '}', () => {
          const field = this.ident();
          this.expect(':');
          return { name: field, type: this.type() };
        });
        iface.types.set(name, { kind: 'record', fields });
        return;
      }
      case 'variant': {
        this.next();
        const name = this.ident();
        const cases = this.list('{', '}', () => {
          const label = this.ident();
          let type: WitTypeExpr | undefined;
          if (this.eat('(')) {
            type = this.type();
            this.expect(')');
          }
          return { name: label, type };
        });
        iface.types.set(name, { kind: 'variant', cases });
        return;
      }
      case 'enum':
      case 'flags': {
        this.next();
        const name = this.ident();
        iface.types.set(name, { kind: token, names: this.list('{', '}', () => this.ident()) });
        return;
      }
      case 'resource':
        this.resource(iface);
        return;
      default: {
        const name = this.ident();
        this.expect(':');
        const func = this.func('freestanding');
        iface.functions.push({ componentName: name, resource: undefined, func });
        this.expect(';');
        return;
      }
    }
  }

  private use(iface: WitInterface): void {
    this.expect('use');
    const from = this.path();
    this.expect('.');
    for (const item of this.list('{', '}', () => {
      const name = this.ident();
      return { name, as: this.eat('as') ? this.ident() : name };
    })) {
      iface.types.set(item.as, { kind: 'use', from, name: item.name });
    }
    this.expect(';');
  }

  private resource(iface: WitInterface): void {
    this.expect('resource');
    const name = this.ident();
    iface.types.set(name, { kind: 'resource' });
    if (this.eat(';')) return;
    this.expect('{');
    while (!this.eat('}')) {
      this.skipGates();
      if (this.eat('constructor')) {
        const func = this.signature('constructor', false);
        iface.functions.push({ componentName: `[constructor]${name}`, resource: name, func });
      } else {
        const method = this.ident();
        this.expect(':');
        const isStatic = this.eat('static');
        const func = this.func(isStatic ? 'static' : 'method');
        const prefix = isStatic ? '[static]' : '[method]';
        iface.functions.push({ componentName: `${prefix}${name}.${method}`, resource: name, func });
      }
      this.expect(';');
    }
  }

  private func(kind: WitFunc['kind']): WitFunc {
    const isAsync = this.eat('async');
    this.expect('func');
    return this.signature(kind, isAsync);
  }

  private signature(kind: WitFunc['kind'], isAsync: boolean): WitFunc {
    const params = this.list('(', ')', () => {
      const name = this.ident();
      this.expect(':');
      return { name, type: this.type() };
    });
    const result = this.eat('->') ? this.type() : undefined;
    return { kind, params, result, async: isAsync };
  }

  /** `open item, item, … close`, a trailing comma allowed. */
  private list<T>(open: string, close: string, item: () => T): T[] {
    this.expect(open);
    const items: T[] = [];
    while (!this.eat(close)) {
      items.push(item());
      if (!this.eat(',')) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  private angle<T>(item: () => T): T[] {
    return this.list('<', '>', item);
  }

  private type(): WitTypeExpr {
    const token = this.next();
    const name = token.startsWith('%') ? token.slice(1) : token;
    if (PRIMITIVES.has(token)) return { kind: 'primitive', name: token as PrimitiveType };
    switch (token) {
      case 'list': {
        this.expect('<');
        const element = this.type();
        const length = this.eat(',') ? Number(this.next()) : undefined;
        this.expect('>');
        return length === undefined ? { kind: 'list', element } : { kind: 'list', element, length };
      }
      case 'option': {
        const [type] = this.angle(() => this.type());
        if (!type) throw new Error('WIT: option<> without a type');
        return { kind: 'option', type };
      }
      case 'result': {
        if (this.peek() !== '<') return { kind: 'result', ok: undefined, err: undefined };
        const [ok, err] = this.angle(() => (this.eat('_') ? undefined : this.type()));
        return { kind: 'result', ok, err };
      }
      case 'tuple':
        return { kind: 'tuple', types: this.angle(() => this.type()) };
      case 'own':
      case 'borrow': {
        this.expect('<');
        const resource = this.ident();
        this.expect('>');
        return { kind: token, name: resource };
      }
      case 'future':
      case 'stream':
        return { kind: token, type: this.peek() === '<' ? this.angle(() => this.type())[0] : undefined };
      default:
        return { kind: 'named', name };
    }
  }

  private worldBody(): WitWorld {
    const world: WitWorld = {
      scope: { name: '(world)', types: new Map(), functions: [] },
      imports: [],
      exports: [],
    };
    this.expect('{');
    while (!this.eat('}')) {
      this.skipGates();
      const token = this.peek();
      if (token === 'import' || token === 'export') {
        this.next();
        const list = token === 'import' ? world.imports : world.exports;
        list.push(this.worldItem(world.scope));
      } else this.interfaceItem(world.scope);
    }
    return world;
  }

  private worldItem(scope: WitInterface): WitWorldItem {
    if (this.peek(1) === ':') {
      const name = this.ident();
      this.expect(':');
      if (this.eat('interface')) {
        const inline = this.interfaceBody(name);
        // Inline interfaces see the world's types.
        for (const [typeName, decl] of scope.types)
          if (!inline.types.has(typeName)) inline.types.set(typeName, decl);
        return { kind: 'interface', name, inline };
      }
      const func = this.func('freestanding');
      this.expect(';');
      return { kind: 'func', name, func };
    }
    const name = this.path();
    this.expect(';');
    return { kind: 'interface', name, inline: undefined };
  }
}

export function parseWit(text: string): { interfaces: Map<string, WitInterface>; world: WitWorld } {
  return new WitParser(text).parse();
}
