import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { embeddedStats, openEmbeddedDatabase } from '../../src/store/embedded/index.js';

it('an _id-sorted scan with a limit walks the documents in order and stops early', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fhir-idorder-'));
  const db = await openEmbeddedDatabase(dir);
  try {
    const c = db.collection('x');
    const docs = Array.from({ length: 2000 }, (_, i) => ({ _id: `id-${String(i).padStart(5, '0')}`, n: i % 7, e: [{ p: 'a', v: i }] }));
    await c.insertMany([...docs].reverse());
    const filter = { e: { $elemMatch: { p: 'a', v: { $gte: 100 } } }, n: { $ne: 3 } };
    const expected = docs.filter((d) => d.e[0].v >= 100 && d.n !== 3);
    const before = embeddedStats(db)!.docsExamined;
    const page = await c.find(filter, { sort: { _id: 1 }, skip: 5, limit: 20 }).toArray();
    assert.deepEqual(page.map((d) => d._id), expected.slice(5, 25).map((d) => d._id));
    assert.ok(embeddedStats(db)!.docsExamined - before < 200, 'stopped early');
    const desc = await c.find(filter, { sort: { _id: -1 }, limit: 10 }).toArray();
    assert.deepEqual(desc.map((d) => d._id), [...expected].reverse().slice(0, 10).map((d) => d._id));
    const after = await c.find({ ...filter, _id: { $gt: 'id-01000' } }, { sort: { _id: 1 }, limit: 3 }).toArray();
    assert.deepEqual(after.map((d) => d._id), expected.filter((d) => d._id > 'id-01000').slice(0, 3).map((d) => d._id));
  } finally {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
