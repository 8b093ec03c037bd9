import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../../src/fhir/validator.js';

const errors = (r: unknown) => validateResource(r).filter((i) => i.severity === 'error');

describe('typed rules', () => {
  it('dates must exist on the calendar, at any depth', () => {
    assert.deepEqual(errors({ resourceType: 'Patient', birthDate: '2001-02-28' }), []);
    assert.deepEqual(errors({ resourceType: 'Patient', birthDate: '2000-02-29' }), []);
    const leap = errors({ resourceType: 'Patient', birthDate: '2001-02-29' });
    assert.equal(leap.length, 1);
    assert.equal(leap[0].expression, 'Patient.birthDate');
    const nested = errors({ resourceType: 'Patient', name: [{ family: 'X', period: { start: '2020-02-30' } }] });
    assert.equal(nested[0]?.expression, 'Patient.name[0].period.start');
    const contained = errors({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, contained: [{ resourceType: 'Patient', id: 'p', birthDate: '1999-04-31' }] });
    assert.equal(contained[0]?.expression, 'Observation.contained[0].birthDate');
    const instant = errors({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, issued: '2020-01-01T24:00:00Z' });
    assert.ok(instant.length >= 1);
  });

  it('only one type of a choice element', () => {
    const both = errors({ resourceType: 'Patient', deceasedBoolean: true, deceasedDateTime: '2020-01-01' });
    assert.equal(both.length, 1);
    assert.equal(both[0].expression, 'Patient.deceased[x]');
    assert.match(both[0].diagnostics, /deceasedBoolean, deceasedDateTime/);
    const comp = errors({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, component: [{ code: { text: 'c' }, valueString: 'a', valueInteger: 1 }] });
    assert.equal(comp[0]?.expression, 'Observation.component[0].value[x]');
    assert.deepEqual(errors({ resourceType: 'Patient', deceasedBoolean: false, multipleBirthInteger: 2 }), []);
  });
});
