/**
 * The R4 element model (types of element paths) from fhirpath's R4 context, for walks over a
 * resource that need to know each element's FHIR type.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const model = require('fhirpath/fhir-context/r4') as {
  path2Type: Record<string, string>;
  pathsDefinedElsewhere: Record<string, string>;
  choiceTypePaths: Record<string, string[]>;
};

const CONTAINERS = new Set(['BackboneElement', 'Element']);

export interface ElementStep {
  /** the FHIR type of the element (e.g. 'HumanName', 'date', 'BackboneElement'), undefined if unknown */
  type: string | undefined;
  /** the type path to continue with for the element's children */
  next: string;
}

/** `${parentTypePath}.${key}` -> its type and the path its children are defined under. */
export function elementStep(path: string): ElementStep {
  const elsewhere = model.pathsDefinedElsewhere[path];
  if (elsewhere) return { type: 'BackboneElement', next: elsewhere };
  const type = model.path2Type[path];
  if (type === undefined) return { type, next: path };
  return { type, next: CONTAINERS.has(type) ? path : type };
}

const steps = new Map<string, Map<string, ElementStep>>();

/** elementStep(`${parent}.${key}`), memoised per parent type path (no string building per call). */
export function childStep(parent: string, key: string): ElementStep {
  let byKey = steps.get(parent);
  if (!byKey) steps.set(parent, (byKey = new Map()));
  let step = byKey.get(key);
  if (!step) {
    step = elementStep(`${parent}.${key}`);
    if (byKey.size < 1000) byKey.set(key, step); // unknown keys of hostile input don't grow it
  }
  return step;
}

/** The type path of an object found at `typePath`: a resource names its own type. */
export function ownTypePath(obj: Record<string, unknown>, typePath: string): string {
  return typeof obj.resourceType === 'string' && (typePath === 'Resource' || typePath === obj.resourceType) ? obj.resourceType : typePath;
}

const choicesByParent = new Map<string, Array<{ name: string; keys: string[] }>>();
for (const [path, types] of Object.entries(model.choiceTypePaths)) {
  const dot = path.lastIndexOf('.');
  const parent = path.slice(0, dot);
  const name = path.slice(dot + 1);
  const list = choicesByParent.get(parent) ?? [];
  list.push({ name, keys: types.map((t) => name + t) });
  choicesByParent.set(parent, list);
}

/** The choice elements (`deceased[x]` ...) defined directly under a type path. */
export function choiceElements(typePath: string): ReadonlyArray<{ name: string; keys: string[] }> {
  return choicesByParent.get(typePath) ?? [];
}
