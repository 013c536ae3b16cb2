/**
 * A Spin manifest (version 2) rewritten as the Skiff manifest that means the same, for Skiff's own
 * validators to check: `[application]`, `[variables]`, `[[trigger.http]]` (with inline components
 * moved to `[component.<id>]`, as Spin does) and `[component.x]`. What has no Skiff meaning is
 * refused on the way, by name, at its line (keys.ts lists every key and what happens to it).
 */
import { isTable, type Table } from '../checker.ts';
import { COMPONENT_ID } from '../keys.ts';
import type { KeyPath } from '../locate.ts';
import { MANIFEST_VERSION } from '../validate-app.ts';
import type { SpinManifestChecker } from './checker.ts';
import { translateComponent } from './component.ts';
import { SPIN_KEYS, spinTableKeys } from './keys.ts';

/** The one Spin manifest version Skiff reads; Spin 2, 3 and 4 all write it. */
export const SPIN_MANIFEST_VERSION = 2;

/** The Skiff manifest a spin.toml means, or undefined when it is not a version Skiff reads. */
export function translateSpinManifest(checker: SpinManifestChecker, root: Table): Table | undefined {
  if (!checkSpinVersion(checker, root.spin_manifest_version)) return undefined;
  const top = spinTableKeys(checker, root, { original: [], spot: 'the top level' }, SPIN_KEYS.topLevel);
  const skiff: Table = { skiff_manifest_version: MANIFEST_VERSION };
  if (top.application !== undefined) skiff.application = translateApplication(checker, top.application);
  if (top.variables !== undefined) skiff.variables = translateVariables(checker, top.variables);
  // Declared components first: an inline component's id must not take one of theirs.
  const components: Table = {};
  for (const [id, component] of Object.entries(isTable(top.component) ? top.component : {})) {
    const path = ['component', id];
    components[id] = isTable(component)
      ? translateComponent(checker, component, { original: path, translated: path, id })
      : component;
  }
  if (top.trigger !== undefined) skiff.trigger = translateTriggers(checker, top.trigger, components);
  skiff.component = top.component === undefined || isTable(top.component) ? components : top.component;
  return skiff;
}

function checkSpinVersion(checker: SpinManifestChecker, version: unknown): boolean {
  if (version === SPIN_MANIFEST_VERSION) return true;
  const where = ['spin_manifest_version'];
  if (version === 1 || version === '1')
    checker.refuse(
      where,
      undefined,
      'this is a Spin 1 manifest (spin_manifest_version = "1"); Skiff reads version 2, which Spin 2 and later write',
      'rewrite it in the version 2 format (https://spinframework.dev/writing-apps), or convert it to a skiff.toml',
    );
  else
    checker.refuse(
      where,
      undefined,
      `spin_manifest_version must be ${SPIN_MANIFEST_VERSION}, got ${JSON.stringify(version)}`,
      `write spin_manifest_version = ${SPIN_MANIFEST_VERSION}`,
    );
  return false;
}

function translateApplication(checker: SpinManifestChecker, application: unknown): unknown {
  if (!isTable(application)) return application; // Skiff's validator says what it must be
  const at = { original: ['application'], spot: '[application]' };
  const { trigger, ...kept } = spinTableKeys(checker, application, at, SPIN_KEYS.application);
  if (isTable(trigger)) {
    for (const [type, settings] of Object.entries(trigger)) {
      const where = ['application', 'trigger', type];
      // `base = "/"` is Spin 1's default route prefix, which Spin 2 still accepts: it changes nothing.
      if (
        type === 'http' &&
        isTable(settings) &&
        Object.entries(settings).every(([k, v]) => k === 'base' && v === '/')
      )
        continue;
      checker.refuse(
        where,
        undefined,
        type === 'http'
          ? '[application.trigger.http] sets a route prefix (base), which Spin 2 deprecated and Skiff does not apply'
          : `[application.trigger.${type}] configures the ${type} trigger, which Skiff does not have`,
        type === 'http'
          ? 'prepend the base to each [[trigger.http]] route and remove it'
          : 'remove it (Skiff serves HTTP triggers only)',
      );
    }
  } else if (trigger !== undefined)
    checker.refuse(
      ['application', 'trigger'],
      undefined,
      '"trigger" in [application] must be a table',
      'remove it',
    );
  return kept;
}

/** `[variables]`: Spin's and Skiff's are the same but for `description`, which Skiff drops. */
function translateVariables(checker: SpinManifestChecker, variables: unknown): unknown {
  if (!isTable(variables)) return variables;
  const translated: Table = {};
  for (const [name, variable] of Object.entries(variables)) {
    const path = ['variables', name];
    translated[name] = isTable(variable)
      ? spinTableKeys(checker, variable, { original: path, spot: `variable "${name}"` }, SPIN_KEYS.variable)
      : variable;
  }
  return translated;
}

/**
 * `[[trigger.http]]` entries as Skiff's (route and a component id); an inline component is moved to
 * `components` under the id Spin would give it. Other trigger types are refused.
 */
function translateTriggers(checker: SpinManifestChecker, triggers: unknown, components: Table): unknown {
  if (!isTable(triggers)) return triggers;
  const translated: Table = {};
  for (const [type, entries] of Object.entries(triggers)) {
    if (type === 'http') {
      translated.http = Array.isArray(entries)
        ? entries.map((entry, index) => translateHttpTrigger(checker, entry, index, components))
        : entries;
      continue;
    }
    checker.refuse(
      ['trigger', type],
      undefined,
      `[[trigger.${type}]]: Skiff has HTTP triggers only, not Spin's ${type} trigger`,
      `serve the component over HTTP with [[trigger.http]], or run this app with \`spin up\``,
    );
  }
  return translated;
}

function translateHttpTrigger(
  checker: SpinManifestChecker,
  entry: unknown,
  index: number,
  components: Table,
): unknown {
  if (!isTable(entry)) return entry;
  const path: KeyPath = ['trigger', 'http', index];
  const at = { original: path, spot: '[[trigger.http]]' };
  const { executor, component, ...kept } = spinTableKeys(checker, entry, at, SPIN_KEYS.httpTrigger);
  if (executor !== undefined) checkExecutor(checker, executor, [...path, 'executor']);
  if (!isTable(component)) return { ...kept, ...(component !== undefined && { component }) };
  const id = inlineComponentId(typeof entry.id === 'string' ? entry.id : '', components);
  const original = [...path, 'component'];
  const translated = ['component', id];
  checker.move(translated, original);
  components[id] = translateComponent(checker, component, { original, translated, id });
  return { ...kept, component: id };
}

/** Spin's `executor`: `{ type = "http" }` (or its alias `"spin"`) is the default; Wagi is refused. */
function checkExecutor(checker: SpinManifestChecker, executor: unknown, where: KeyPath): void {
  const type = isTable(executor) ? executor.type : undefined;
  if (type === 'http' || type === 'spin') return;
  checker.refuse(
    where,
    undefined,
    type === 'wagi'
      ? 'executor = { type = "wagi" }: Skiff does not run Wagi (CGI-style) modules'
      : `executor must be { type = "http" }, got ${JSON.stringify(executor)}`,
    type === 'wagi'
      ? 'build the handler as a wasi:http component (the Spin SDKs do), or run this app with `spin up`'
      : 'remove it: a component serving wasi:http needs no executor',
  );
}

/**
 * As Spin names an inline component: `<trigger id>-component` when the trigger has an id, else
 * `inline-component<N>`, the first N not taken.
 */
function inlineComponentId(triggerId: string, components: Table): string {
  const natural = `${triggerId}-component`;
  if (triggerId && COMPONENT_ID.test(natural) && !Object.hasOwn(components, natural)) return natural;
  for (let n = 1; ; n++) {
    const id = `inline-component${n}`;
    if (!Object.hasOwn(components, id)) return id;
  }
}
