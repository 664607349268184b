import type { UpdateRecorder } from '@angular-devkit/schematics';
import * as ts from 'typescript';

// Edits go through the TypeScript AST, as @nestjs/schematics' MetadataManager and Angular's
// ast-utils do: nodes are found by structure (never by regex over the text) and new text is
// inserted at their positions, so the user's formatting and comments elsewhere stay untouched.

export function parseSource(path: string, text: string): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function descendants(node: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (child: ts.Node): void => {
    found.push(child);
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

// TypeScript 6 says `phaseModifier`; 5.x (a Nest 11 app's) only `isTypeOnly`.
function isTypeOnly(clause: ts.ImportClause): boolean {
  return (
    (clause as { phaseModifier?: ts.SyntaxKind }).phaseModifier === ts.SyntaxKind.TypeKeyword ||
    (clause as { isTypeOnly?: boolean }).isTypeOnly === true
  );
}

/** Imports `names` from `moduleName`, merging into an existing import of that module. */
export function addNamedImports(
  source: ts.SourceFile,
  recorder: UpdateRecorder,
  names: readonly string[],
  moduleName: string,
): boolean {
  const imports = source.statements.filter(ts.isImportDeclaration);
  const existing = imports.find(
    (declaration) =>
      ts.isStringLiteral(declaration.moduleSpecifier) &&
      declaration.moduleSpecifier.text === moduleName &&
      declaration.importClause !== undefined &&
      !isTypeOnly(declaration.importClause) &&
      declaration.importClause.namedBindings !== undefined &&
      ts.isNamedImports(declaration.importClause.namedBindings),
  );
  const imported = new Set(
    imports.flatMap((declaration) => {
      const bindings = declaration.importClause?.namedBindings;
      return bindings && ts.isNamedImports(bindings) ? bindings.elements.map((element) => element.name.text) : [];
    }),
  );
  const missing = names.filter((name) => !imported.has(name));
  if (missing.length === 0) return false;
  const bindings = existing?.importClause?.namedBindings;
  if (bindings && ts.isNamedImports(bindings)) {
    const last = bindings.elements[bindings.elements.length - 1];
    if (last) recorder.insertLeft(last.getEnd(), `, ${missing.join(', ')}`);
    else recorder.insertLeft(bindings.getStart() + 1, ` ${missing.join(', ')} `);
    return true;
  }
  const statement = `import { ${missing.join(', ')} } from '${moduleName}';\n`;
  const lastImport = imports[imports.length - 1];
  if (lastImport) recorder.insertLeft(lastImport.getEnd(), `\n${statement.trimEnd()}`);
  else recorder.insertLeft(0, statement);
  return true;
}

/** The object literal of `@Module({...})` on the first class that has one. */
export function findModuleMetadata(source: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  for (const node of descendants(source)) {
    if (!ts.isDecorator(node) || !ts.isCallExpression(node.expression)) continue;
    const callee = node.expression.expression;
    if (!ts.isIdentifier(callee) || callee.text !== 'Module') continue;
    const argument = node.expression.arguments[0];
    if (argument && ts.isObjectLiteralExpression(argument)) return argument;
  }
  return undefined;
}

function propertyNamed(object: ts.ObjectLiteralExpression, name: string): ts.PropertyAssignment | undefined {
  return object.properties.find(
    (property): property is ts.PropertyAssignment =>
      ts.isPropertyAssignment(property) &&
      (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) &&
      property.name.text === name,
  );
}

/**
 * Adds `element` to the `key` array of a module's metadata unless an element already mentions
 * `identifier` (so a second run, or a hand-written `RampartModule.forRoot`, changes nothing).
 * Throws when `key` is not an array literal: a computed list cannot be edited safely.
 */
export function addToMetadataArray(
  metadata: ts.ObjectLiteralExpression,
  recorder: UpdateRecorder,
  key: string,
  identifier: string,
  element: string,
): boolean {
  const property = propertyNamed(metadata, key);
  if (!property) {
    const first = metadata.properties[0];
    if (first) recorder.insertLeft(first.getStart(), `${key}: [${element}],\n  `);
    else recorder.insertLeft(metadata.getStart() + 1, ` ${key}: [${element}] `);
    return true;
  }
  const array = property.initializer;
  if (!ts.isArrayLiteralExpression(array)) {
    throw new Error(`@Module({ ${key} }) is not an array literal; add ${identifier} to it by hand.`);
  }
  if (array.elements.some((existing) => mentions(existing, identifier))) return false;
  const last = array.elements[array.elements.length - 1];
  if (last) recorder.insertLeft(last.getEnd(), `, ${element}`);
  else recorder.insertLeft(array.getStart() + 1, element);
  return true;
}

/** Whether `node` contains the identifier `name`. */
export function mentions(node: ts.Node, name: string): boolean {
  if (ts.isIdentifier(node) && node.text === name) return true;
  return descendants(node).some((child) => ts.isIdentifier(child) && child.text === name);
}

/** Calls of `NestFactory.create(...)`, and the statement that holds each. */
export function findNestFactoryCreate(
  source: ts.SourceFile,
): { statement: ts.Statement; variable: string | undefined } | undefined {
  for (const node of descendants(source)) {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) continue;
    const { expression, name } = node.expression;
    if (!ts.isIdentifier(expression) || expression.text !== 'NestFactory' || !name.text.startsWith('create')) continue;
    let statement: ts.Node = node;
    while (!ts.isBlock(statement.parent) && !ts.isSourceFile(statement.parent)) statement = statement.parent;
    const declaration = ts.isVariableStatement(statement) ? statement.declarationList.declarations[0] : undefined;
    const variable = declaration && ts.isIdentifier(declaration.name) ? declaration.name.text : undefined;
    return { statement: statement as ts.Statement, variable };
  }
  return undefined;
}

/** The indentation of the line `node` starts on. */
export function indentationOf(source: ts.SourceFile, node: ts.Node): string {
  const start = node.getStart();
  const lineStart = source.text.lastIndexOf('\n', start - 1) + 1;
  return /^[ \t]*/.exec(source.text.slice(lineStart, start))?.[0] ?? '';
}

/** Methods of `@Controller` classes decorated with `@<verb>(path)` whose path, or controller path, is `segment`. */
export function findRouteMethods(
  source: ts.SourceFile,
  segments: ReadonlySet<string>,
): { node: ts.MethodDeclaration | ts.ClassDeclaration; decorators: string[] }[] {
  const found: { node: ts.MethodDeclaration | ts.ClassDeclaration; decorators: string[] }[] = [];
  for (const declaration of source.statements.filter(ts.isClassDeclaration)) {
    const controllerPath = decoratorArgument(declaration, 'Controller');
    if (controllerPath === undefined) continue;
    if (segments.has(trimSlashes(controllerPath))) {
      found.push({ node: declaration, decorators: decoratorNames(declaration) });
      continue;
    }
    for (const member of declaration.members.filter(ts.isMethodDeclaration)) {
      const path = decoratorArgument(member, 'Get');
      if (path !== undefined && segments.has(trimSlashes(`${trimSlashes(controllerPath)}/${trimSlashes(path)}`))) {
        found.push({ node: member, decorators: decoratorNames(member) });
      }
    }
  }
  return found;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

function decoratorNames(node: ts.HasDecorators): string[] {
  return (ts.getDecorators(node) ?? []).flatMap((decorator) => {
    const expression = ts.isCallExpression(decorator.expression)
      ? decorator.expression.expression
      : decorator.expression;
    return ts.isIdentifier(expression) ? [expression.text] : [];
  });
}

/** The string argument of `@name(...)` ('' when called without one), or undefined without the decorator. */
function decoratorArgument(node: ts.HasDecorators, name: string): string | undefined {
  for (const decorator of ts.getDecorators(node) ?? []) {
    const call = decorator.expression;
    if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== name) continue;
    const [argument] = call.arguments;
    if (argument === undefined) return '';
    return ts.isStringLiteralLike(argument) ? argument.text : undefined;
  }
  return undefined;
}

/**
 * Makes `NestFactory.create(...)` keep the raw body (`{ rawBody: true }`), which signature checks
 * need: adds the options argument, or the property to an options object literal.
 * Returns false when it is already there; throws when the options are not a literal.
 */
export function enableRawBody(source: ts.SourceFile, recorder: UpdateRecorder): boolean {
  for (const node of descendants(source)) {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) continue;
    const { expression, name } = node.expression;
    if (!ts.isIdentifier(expression) || expression.text !== 'NestFactory' || name.text !== 'create') continue;
    const args = node.arguments;
    const last = args[args.length - 1];
    if (last && args.length > 1 && ts.isObjectLiteralExpression(last)) {
      const rawBody = last.properties.find(
        (property) => property.name !== undefined && ts.isIdentifier(property.name) && property.name.text === 'rawBody',
      );
      if (rawBody) {
        if (ts.isPropertyAssignment(rawBody) && rawBody.initializer.kind === ts.SyntaxKind.TrueKeyword) return false;
        throw new Error('NestFactory.create sets rawBody to something other than true; signatures need the raw body.');
      }
      recorder.insertLeft(last.getStart() + 1, ' rawBody: true,');
      return true;
    }
    if (args.length > 2 || (args.length === 2 && last && !ts.isNewExpression(last) && !ts.isIdentifier(last))) {
      throw new Error('NestFactory.create has options that are not an object literal; add rawBody: true by hand.');
    }
    if (last) recorder.insertLeft(last.getEnd(), ', { rawBody: true }');
    return true;
  }
  throw new Error('No NestFactory.create(...) call found.');
}
