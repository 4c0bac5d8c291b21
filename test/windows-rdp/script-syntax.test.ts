/**
 * No PowerShell runs on this machine, so the role's scripts are at least parsed: with
 * tree-sitter's PowerShell grammar (tree-sitter-powershell's WebAssembly build through
 * web-tree-sitter, no native code). A syntax error, an unclosed block or string fails here.
 * What it does not show: that the cmdlets exist with those parameters, or what they do.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { beforeAll, describe, expect, it } from 'vitest';
import { psScript, type PsScript } from '../../lib/windows/powershell.js';
import { applyScript, readScript } from '../../roles/windows-rdp/scripts.js';

let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  const pkg = createRequire(import.meta.url).resolve('tree-sitter-powershell/package.json');
  const language = await Language.load(join(dirname(pkg), 'tree-sitter-powershell.wasm'));
  parser = new Parser();
  parser.setLanguage(language);
});

function syntaxErrors(script: PsScript): string[] {
  const tree = parser.parse(script.text)!;
  const lines = script.text.split('\n');
  const found: string[] = [];
  const walk = (node: Node) => {
    if (node.isError || node.isMissing)
      found.push(
        `${node.isMissing ? 'missing' : 'error'} at line ${node.startPosition.row + 1}: ${lines[node.startPosition.row]}`,
      );
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  return found;
}

describe("the role's PowerShell parses", () => {
  it.each([readScript, applyScript])('$name', (script) => {
    expect(syntaxErrors(script)).toEqual([]);
  });

  it('and a broken script would not', () => {
    expect(syntaxErrors(psScript('broken', "$out = @{ a = (Get-Item 'x'"))).not.toEqual([]);
    expect(syntaxErrors(psScript('broken', 'if ($data.a) { $out = 1'))).not.toEqual([]);
  });
});
