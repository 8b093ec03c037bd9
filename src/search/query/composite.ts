/**
 * composite parameters (search.html#composite): the components of one value separated by `$`,
 * in the order of the SearchParameter's components, each written as for its own type (prefixes
 * allowed on number / date / quantity components, no modifiers), e.g.
 * `code-value-quantity=http://loinc.org|8480-6$gt100`. The index has one entry per combination
 * of component values of the same base element (`cmp`, each with the component's code as `p`),
 * so all components must match within one entry:
 *   { p: 'code-value-quantity', cmp: { $all: [ { $elemMatch: { p: 'code', ... } },
 *                                              { $elemMatch: { p: 'value-quantity', ... } } ] } }
 */
import { getSearchParameter, getSearchParameterByUrl } from '../parameters.js';
import { dateCondition } from './date.js';
import { invalid, notSupported } from './errors.js';
import { numberCondition } from './number.js';
import { splitUnescaped } from './parse.js';
import { quantityCondition } from './quantity.js';
import { referenceCondition } from './reference.js';
import { stringCondition } from './string.js';
import { tokenCondition } from './token.js';
import type { Cond, ParamContext } from './types.js';
import { uriCondition } from './uri.js';

export function compositeCondition(ctx: ParamContext, value: string): Cond {
  const { def, name } = ctx;
  const components = def.component ?? [];
  const parts = splitUnescaped(value, '$');
  if (parts.length !== components.length) {
    throw invalid(name, `Invalid value for composite parameter '${name}': expected ${components.length} components separated by '$', got '${value}'`);
  }
  const all: Cond[] = components.map((component, i) => {
    const sp = getSearchParameterByUrl(component.definition);
    if (!sp) throw notSupported(name, `Composite parameter '${name}' has an unknown component ${component.definition}`);
    const part = parts[i];
    if (part === '') throw invalid(name, `Invalid value for composite parameter '${name}': component ${i + 1} (${sp.code}) is empty`);
    let cond: Cond;
    switch (sp.type) {
      case 'token':
        cond = tokenCondition(name, part);
        break;
      case 'quantity':
        cond = quantityCondition(name, part);
        break;
      case 'number':
        cond = numberCondition(name, part);
        break;
      case 'date':
        cond = dateCondition(name, part, ctx.now);
        break;
      case 'string':
        cond = stringCondition(undefined, part);
        break;
      case 'uri':
        cond = uriCondition(part);
        break;
      case 'reference': {
        const componentDef = getSearchParameter(def.resourceType, sp.code) ?? { ...def, code: sp.code, type: 'reference' as const, target: sp.target };
        cond = referenceCondition({ ...ctx, code: sp.code, modifier: undefined, def: componentDef }, part);
        break;
      }
      default:
        throw notSupported(name, `Composite parameter '${name}': components of type ${sp.type} are not supported`);
    }
    return { $elemMatch: { p: sp.code, ...cond } };
  });
  return { cmp: { $all: all } };
}
