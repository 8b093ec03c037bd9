/** Request bodies shared by the benchmark phases and the baseline server. */

/** A small, valid R4 Patient (~450 bytes of JSON), varied by `i`. */
export function samplePatient(i: number): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:fhir-server-bench:patient', value: `bench-${i}` }],
    active: true,
    name: [{ use: 'official', family: `Benchmark${i % 997}`, given: ['Ana', `B${i}`] }],
    telecom: [{ system: 'email', value: `bench.${i}@example.org`, use: 'home' }],
    gender: i % 2 ? 'female' : 'male',
    birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
    address: [{ line: [`Rua das Flores, ${i}`], city: 'Curitiba', state: 'PR', postalCode: '80000-000', country: 'BR' }],
  };
}
