/**
 * The doc comments of a role's sources: the module comment of `roles/<name>/index.ts` (what the
 * role does) and the `/** … *\/` comment above each property (of a vars interface or a schema
 * object), found with the TypeScript parser, for variables whose schema has no `description`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** The first `/** … *\/` block of a file, without its stars. */
export function moduleComment(source: string): string {
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return '';
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/** Property name → its doc comment, over every .ts file of the folder (index.ts first). */
export function propertyComments(folder: string): Map<string, string> {
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.ts'))
    .sort((a, b) => (a === 'index.ts' ? -1 : b === 'index.ts' ? 1 : a.localeCompare(b)));
  const found = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(join(folder, file), 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if ((ts.isPropertySignature(node) || ts.isPropertyAssignment(node)) && node.name) {
        const name = ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) ? node.name.text : undefined;
        const doc = ts
          .getJSDocCommentsAndTags(node)
          .filter(ts.isJSDoc)
          .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
          .join('\n')
          .trim();
        if (name && doc && !found.has(name)) found.set(name, doc.replace(/\s*\n\s*/g, ' '));
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}
