/**
 * Variables in the manifest, as Spin has them. The app declares them at the top level:
 *
 *   [variables]
 *   greeting = { default = "hello" }
 *   api_token = { required = true, secret = true }
 *
 * and each component names what it sees, as templates over them:
 *
 *   [component.api]
 *   variables = { token = "{{ api_token }}", banner = "{{ greeting }}, world" }
 *
 * A guest reads only its component's variables; a template naming an undeclared variable is an error
 * with a did-you-mean.
 */
import type { VariableSpec } from '../../manifest/app.ts';
import { describeValue, isTable, type ManifestChecker, type Table } from '../../manifest/checker.ts';
import { closestMatch } from '../../manifest/keys.ts';
import type { KeyPath } from '../../manifest/locate.ts';

/** Spin's rule for variable names: lower-case letters, digits and `_`, starting with a letter. */
export const VARIABLE_NAME = /^[a-z][a-z0-9_]*$/;
const VARIABLE_KEYS = ['default', 'required', 'secret'];
/** `{{ name }}` in a template, spaces optional. */
export const TEMPLATE_REFERENCE = /\{\{\s*([^{}\s]*)\s*\}\}/g;

export function validateAppVariables(checker: ManifestChecker, root: Table): Record<string, VariableSpec> {
  const table = checker.table(
    root,
    'variables',
    [],
    'the manifest',
    '[variables] with name = { default = "…" }',
  );
  const variables: Record<string, VariableSpec> = {};
  for (const [name, value] of Object.entries(table ?? {})) {
    const where: KeyPath = ['variables', name];
    if (!VARIABLE_NAME.test(name)) {
      checker.report(
        where,
        `invalid variable name "${name}": use lower-case letters, digits and "_", starting with a letter`,
        `write ${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')} = { … }`,
      );
      continue;
    }
    if (!isTable(value)) {
      checker.report(
        where,
        `variable "${name}" must be a table, got ${describeValue(value)}`,
        `write ${name} = { default = ${JSON.stringify(String(value))} } or ${name} = { required = true }`,
      );
      continue;
    }
    checker.checkKeys(value, where, `variable "${name}"`, VARIABLE_KEYS);
    const spot = `variable "${name}"`;
    const defaultValue = checker.string(value, 'default', where, spot, {
      required: false,
      example: 'default = "…"',
    });
    const required = flag(checker, value, 'required', where, spot);
    const secret = flag(checker, value, 'secret', where, spot);
    if (required && defaultValue !== undefined)
      checker.report(
        [...where, 'required'],
        `variable "${name}" is required and has a default; a required variable must come from the environment`,
        'remove `default` or `required = true`',
      );
    variables[name] = {
      ...(defaultValue !== undefined && { default: defaultValue }),
      required,
      secret,
      where: { file: checker.file, line: checker.lineOf(where) },
    };
  }
  return variables;
}

function flag(checker: ManifestChecker, table: Table, key: string, where: KeyPath, spot: string): boolean {
  const value = table[key];
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  checker.report([...where, key], `"${key}" of ${spot} must be true or false, got ${describeValue(value)}`);
  return false;
}

/** `variables = { name = "template" }` of one component. */
export function validateComponentVariables(
  checker: ManifestChecker,
  component: Table,
  path: KeyPath,
  spot: string,
): Record<string, string> {
  const table = checker.table(
    component,
    'variables',
    path,
    spot,
    'variables = { name = "{{ app_variable }}" }',
  );
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(table ?? {})) {
    const where = [...path, 'variables', name];
    if (!VARIABLE_NAME.test(name))
      checker.report(
        where,
        `invalid variable name "${name}" in ${spot}: use lower-case letters, digits and "_", starting with a letter`,
      );
    else if (typeof value !== 'string')
      checker.report(
        where,
        `variable "${name}" in ${spot} must be a string template, got ${describeValue(value)}`,
        `write ${name} = "{{ ${name} }}" to pass the app variable of that name`,
      );
    else variables[name] = value;
  }
  return variables;
}

/** Every `{{ name }}` of every component names a declared app variable. */
export function checkTemplates(
  checker: ManifestChecker,
  declared: Record<string, VariableSpec>,
  components: Iterable<{ id: string; variables?: Record<string, string> | undefined }>,
): void {
  const names = Object.keys(declared);
  for (const { id, variables } of components) {
    for (const [name, template] of Object.entries(variables ?? {})) {
      for (const [, reference] of template.matchAll(TEMPLATE_REFERENCE)) {
        if (reference && Object.hasOwn(declared, reference)) continue;
        const near = reference ? closestMatch(reference, names) : undefined;
        checker.report(
          ['component', id, 'variables', name],
          `variable "${name}" of component "${id}" refers to {{ ${reference} }}, which [variables] does not declare`,
          near
            ? `did you mean {{ ${near} }}?`
            : `declare it: [variables] ${reference || 'name'} = { default = "…" }`,
        );
      }
    }
  }
}
