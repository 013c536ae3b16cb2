/** Test support for the manifest tests: temp app folders and one-rule-per-table case runners. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { formatProblem, ManifestError, type ManifestProblem } from './errors.ts';
import { loadApp } from './load.ts';

/** Joins lines into a TOML document, so a case's line numbers can be read off its array index + 1. */
export const toml = (...lines: string[]): string => `${lines.join('\n')}\n`;

/**
 * A temp folder with what the cases refer to: `app.wasm` (file), `static/` and `assets/` (folders),
 * `notes.txt` (file). Created before the suite's tests, removed after them.
 */
export function useAppDir(): { readonly dir: string } {
  const state = { dir: '' };
  before(() => {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-manifest-'));
    fs.writeFileSync(path.join(state.dir, 'app.wasm'), '\0asm');
    fs.mkdirSync(path.join(state.dir, 'static'));
    fs.mkdirSync(path.join(state.dir, 'assets'));
    fs.writeFileSync(path.join(state.dir, 'notes.txt'), 'notes');
  });
  after(() => fs.rmSync(state.dir, { recursive: true, force: true }));
  return state;
}

let caseCounter = 0;

/** Loads `text` as a manifest inside `dir`; the problems it has, or [] when it loads. */
export async function problemsOf(dir: string, text: string): Promise<ManifestProblem[]> {
  const file = path.join(dir, `case-${++caseCounter}.toml`);
  fs.writeFileSync(file, text);
  try {
    await loadApp(file);
    return [];
  } catch (error) {
    if (error instanceof ManifestError) return error.problems;
    throw error;
  }
}

export interface RuleCase {
  name: string;
  toml: string;
  /** Line the problem must be reported on. */
  line: number;
  /** Text the problem's message or hint must contain. */
  message: string;
}

/** One `it` per case: loading must fail with a problem on `line` whose message or hint contains `message`. */
export function itReportsEach(app: { readonly dir: string }, cases: RuleCase[]): void {
  for (const rule of cases) {
    it(rule.name, async () => {
      const problems = await problemsOf(app.dir, rule.toml);
      const found = problems.some(
        (p) => p.line === rule.line && `${p.message} — ${p.hint ?? ''}`.includes(rule.message),
      );
      assert.ok(
        found,
        `expected a problem on line ${rule.line} containing ${JSON.stringify(rule.message)}; got:\n${problems.map(formatProblem).join('\n') || '(none)'}`,
      );
    });
  }
}

/** A valid manifest the rule cases vary, one line at a time. */
export const VALID_LINES = [
  'skiff_manifest_version = 1',
  '[application]',
  'name = "demo"',
  '[[trigger.http]]',
  'route = "/..."',
  'component = "api"',
  '[component.api]',
  'source = "app.wasm"',
];

/** The valid manifest with `line` (1-based) replaced by `replacement`. */
export const withLine = (line: number, replacement: string): string =>
  toml(...VALID_LINES.map((l, i) => (i === line - 1 ? replacement : l)));

/** The valid manifest with lines added at the end, inside [component.api] (they start on line 9). */
export const withExtra = (...lines: string[]): string => toml(...VALID_LINES, ...lines);
