/**
 * Test support: WIT text for resolved function types, so tests can build real components (with
 * wit-component) around the forwarding module and compare Skiff's binder with jco's glue.
 * Records, variants, enums and flags become named types `t0`, `t1`, … of an interface `types`;
 * functions are `call0`, `call1`, … (`f32` would be a keyword).
 */
import type { FunctionType, ValueType } from '../value-types.ts';

export function witPackage(packageName: string, functions: FunctionType[]): { wit: string; world: string } {
  const definitions: string[] = [];
  const names = new Map<ValueType, string>();
  const ref = (t: ValueType | undefined): string => {
    if (t === undefined) return '_';
    switch (t.kind) {
      case 'primitive':
        return t.name;
      case 'list':
        return t.length === undefined ? `list<${ref(t.element)}>` : `list<${ref(t.element)}, ${t.length}>`;
      case 'tuple':
        return `tuple<${t.types.map(ref).join(', ')}>`;
      case 'option':
        return `option<${ref(t.type)}>`;
      case 'result':
        if (t.ok === undefined && t.err === undefined) return 'result';
        if (t.err === undefined) return `result<${ref(t.ok)}>`;
        return `result<${ref(t.ok)}, ${ref(t.err)}>`;
      case 'record':
      case 'variant':
      case 'enum':
      case 'flags': {
        const known = names.get(t);
        if (known) return known;
        const name = `t${names.size}`;
        names.set(t, name);
        const body =
          t.kind === 'record'
            ? t.fields.map((f) => `${f.name}: ${ref(f.type)},`)
            : t.kind === 'variant'
              ? t.cases.map((c) => (c.type === undefined ? `${c.name},` : `${c.name}(${ref(c.type)}),`))
              : t.names.map((n) => `${n},`);
        definitions.push(`  ${t.kind} ${name} {\n    ${body.join('\n    ')}\n  }`);
        return name;
      }
      default:
        throw new Error(`${t.kind} is not supported in generated WIT`);
    }
  };
  const signatures = functions.map(
    (ft, i) =>
      `  call${i}: func(${ft.params.map((p) => `${p.name}: ${ref(p.type)}`).join(', ')})${ft.result === undefined ? '' : ` -> ${ref(ft.result)}`};`,
  );
  const used = [...names.values()];
  const use = used.length === 0 ? '' : `  use types.{${used.join(', ')}};\n`;
  const wit = `package ${packageName};

interface types {
${definitions.join('\n')}
}

interface host {
${use}${signatures.join('\n')}
}

interface guest {
${use}${signatures.join('\n')}
}

world forwarder {
  import host;
  export guest;
}
`;
  return { wit, world: 'forwarder' };
}
