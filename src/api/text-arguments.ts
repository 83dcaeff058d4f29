import { GraphQLError, Kind, type ASTVisitor, type ValidationContext, type ValueNode } from 'graphql';
import { UNSTORABLE_TEXT, UNSTORABLE_TEXT_MESSAGE } from '../../schemas/common.ts';

/**
 * Every string a request brings — literal arguments and variables, of queries and mutations
 * alike — is checked for what PostgreSQL cannot store (NUL, lone surrogates) before anything runs,
 * and refused as VALIDATION_FAILED naming the field: an id or a search text would otherwise reach
 * SQL and come back as INTERNAL_ERROR. The command schemas apply the same test to what they
 * store (schemas/common.ts), for the commands that do not come through the API.
 */
export function textArgumentsRule(variables: Record<string, unknown> = {}) {
  return (context: ValidationContext): ASTVisitor => {
    const report = (field: string) =>
      context.reportError(
        new GraphQLError(`「${field}」${UNSTORABLE_TEXT_MESSAGE} (${field}: NUL or lone surrogate)`, { extensions: { code: 'VALIDATION_FAILED', field } }),
      );
    return {
      OperationDefinition: {
        enter() {
          for (const [name, value] of Object.entries(variables)) {
            const bad = unstorableIn(value, name);
            if (bad) report(bad);
          }
        },
      },
      Argument(node) {
        const bad = unstorableLiteral(node.value, node.name.value);
        if (bad) report(bad);
      },
    };
  };
}

function unstorableIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return UNSTORABLE_TEXT.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = unstorableIn(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (UNSTORABLE_TEXT.test(k)) return `${path}.${k}`;
      const bad = unstorableIn(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

function unstorableLiteral(node: ValueNode, path: string): string | undefined {
  if (node.kind === Kind.STRING) return UNSTORABLE_TEXT.test(node.value) ? path : undefined;
  if (node.kind === Kind.LIST) {
    for (let i = 0; i < node.values.length; i++) {
      const bad = unstorableLiteral(node.values[i]!, `${path}[${i}]`);
      if (bad) return bad;
    }
  }
  if (node.kind === Kind.OBJECT) {
    for (const f of node.fields) {
      const bad = unstorableLiteral(f.value, `${path}.${f.name.value}`);
      if (bad) return bad;
    }
  }
  return undefined;
}
